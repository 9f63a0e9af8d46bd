/* The editor's language picker (phones): open the chosen language at once; without JavaScript the button does it. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-kb-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
    var button = select.form.querySelector("button[type=submit]");
    if (button) { button.hidden = true; }
  });
})();
