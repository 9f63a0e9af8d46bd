/* Live screen pop: listen to the server's call events and show "Incoming call: <name>" on any page.
   The server sends each text already translated; the page only places it. */
(function () {
  "use strict";
  var script = document.currentScript;
  var url = script && script.getAttribute("data-stream");
  if (!url || !window.EventSource) { return; }
  var MAX_SHOWN = 3;

  function container() {
    var box = document.getElementById("call-pops");
    if (!box) {
      box = document.createElement("div");
      box.id = "call-pops";
      box.className = "call-pops";
      box.setAttribute("aria-live", "assertive");
      document.body.appendChild(box);
    }
    return box;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    if (text) { node.textContent = text; }
    return node;
  }

  function show(call) {
    var box = container();
    var old = box.querySelector('[data-call-id="' + (window.CSS && CSS.escape ? CSS.escape(call.call_id) : call.call_id) + '"]');
    if (old) { old.remove(); }
    var pop = element("div", "call-pop");
    pop.setAttribute("role", "alert");
    pop.setAttribute("data-call-id", call.call_id);
    var link = element("a", "call-pop__link");
    link.href = call.pop_url;
    link.appendChild(element("span", "call-pop__title", call.title));
    var sub = [call.phone_display || call.phone, call.company].filter(Boolean).join(" · ");
    if (sub) { link.appendChild(element("span", "call-pop__sub", sub)); }
    link.appendChild(element("span", "call-pop__open", call.open_label));
    var close = element("button", "call-pop__close", "\u00d7");
    close.type = "button";
    close.setAttribute("aria-label", call.close_label);
    close.addEventListener("click", function () { pop.remove(); });
    pop.appendChild(link);
    pop.appendChild(close);
    box.insertBefore(pop, box.firstChild);
    while (box.children.length > MAX_SHOWN) { box.removeChild(box.lastChild); }
  }

  // One stream per browser, not per tab: a browser opens at most six HTTP/1.1 connections
  // to a server, and every open tab holding a stream would use one up. The tab holding the
  // lock listens and passes each call on to the other tabs; when it closes, another tab
  // takes the lock over and resumes after the last call it heard of.
  var lastId = "";
  var tabs = window.BroadcastChannel ? new BroadcastChannel("kliyan-pop") : null;
  if (tabs) {
    tabs.onmessage = function (message) {
      lastId = message.data.id;
      show(message.data.call);
    };
  }

  function listen() {
    var source = new EventSource(lastId ? url + "?last_id=" + encodeURIComponent(lastId) : url);
    source.addEventListener("incoming_call", function (event) {
      var call;
      try { call = JSON.parse(event.data); } catch (error) { return; }  // a malformed event is skipped
      lastId = event.lastEventId;
      show(call);
      if (tabs) { tabs.postMessage({ id: event.lastEventId, call: call }); }
    });
    window.addEventListener("pagehide", function () { source.close(); });
  }

  if (tabs && navigator.locks) {
    navigator.locks.request("kliyan-pop-stream", function () {
      listen();
      return new Promise(function () {});  // hold the lock as long as this page lives
    });
  } else {
    listen();
  }
})();
