/* The template editor: show the subject only for e-mail and the WhatsApp name only for WhatsApp.
   Without JavaScript every field shows, and the server says which ones to leave empty. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-tpl-editor]").forEach(function (form) {
    var channel = form.querySelector("select[name=channel]");
    if (!channel) { return; }
    function sync() {
      form.querySelectorAll("[data-tpl-subject]").forEach(function (el) {
        var input = el.querySelector("input");
        el.hidden = channel.value !== "email" && !(input && input.value);
      });
      form.querySelectorAll("[data-tpl-whatsapp]").forEach(function (el) {
        var input = el.querySelector("input");
        el.hidden = channel.value !== "whatsapp" && !(input && input.value);
      });
    }
    channel.addEventListener("change", sync);
    sync();
  });
})();
