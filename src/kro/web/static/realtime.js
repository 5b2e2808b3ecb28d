// Live updates: a page whose <body data-realtime="…"> names what it shows reloads itself
// when the server says that changed (Socket.IO, authenticated by the session cookie).
// data-realtime="orders" reacts to any order of mine; "order:<id>" to that order only, and
// only when its status differs from the page's data-status (or a message arrived).
// A conversation on the page (<ul data-conversation="…" data-message-url="…/">) gets a new
// message inserted in place instead (its <li> fetched from the page's own URL).
(function () {
  "use strict";
  var topic = document.body.getAttribute("data-realtime");
  if (!topic || typeof io === "undefined") { return; }
  var banner = document.getElementById("live");
  var socket = io({ transports: ["websocket", "polling"] });
  function busy() {
    var el = document.activeElement;
    if (el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT")) {
      return true;
    }
    var fields = document.querySelectorAll("textarea, input[type=text], input[type=file]");
    for (var i = 0; i < fields.length; i++) { if (fields[i].value) { return true; } }
    return false;
  }
  var thread = document.querySelector("[data-conversation]");
  socket.on("connect", function () { document.body.setAttribute("data-live", "connected"); });
  socket.on("conversation.message", function (message) {
    var data = (message && message.data) || {};
    if (!thread || data.conversation_id !== thread.getAttribute("data-conversation")) { return; }
    var id = "m-" + data.message_id;
    if (document.getElementById(id)) { return; }  // the sender's page shows it already
    var url = thread.getAttribute("data-message-url") + encodeURIComponent(data.message_id);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (!html || document.getElementById(id)) { return; }
        thread.insertAdjacentHTML("beforeend", html);
        var empty = document.getElementById("no-messages");
        if (empty) { empty.hidden = true; }
      });
  });
  socket.on("order.updated", function (message) {
    var data = (message && message.data) || {};
    if (topic !== "orders" && topic !== "order:" + data.order_id) { return; }
    if (data.action === "message" && thread) { return; }  // inserted live (above)
    // A page that already shows this status (its own action, just redirected here) stays.
    var shown = document.body.getAttribute("data-status");
    if (shown && data.action !== "message" && shown === data.status) { return; }
    if (!busy()) { window.location.reload(); return; }
    if (banner) {
      banner.hidden = false;
      banner.textContent = "This page changed (now " + String(data.status).replace(/_/g, " ") +
        "). Reload to see it.";
    }
  });
})();
