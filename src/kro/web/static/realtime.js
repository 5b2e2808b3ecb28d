// Live updates: a page whose <body data-realtime="…"> names what it shows reloads itself
// when the server says that changed (Socket.IO, authenticated by the session cookie).
// data-realtime="orders" reacts to any order of mine; "order:<id>" to that order only, and
// only when its status differs from the page's data-status (or a message arrived).
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
  socket.on("connect", function () { document.body.setAttribute("data-live", "connected"); });
  socket.on("order.updated", function (message) {
    var data = (message && message.data) || {};
    if (topic !== "orders" && topic !== "order:" + data.order_id) { return; }
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
