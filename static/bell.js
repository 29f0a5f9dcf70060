// The MailMagnet bell: listens to /notifications/stream (server-sent events) and shows the
// unread count and a paused marker. EventSource reconnects by itself when a stream ends.
(function () {
  "use strict";
  var bell = document.getElementById("bell");
  if (!bell || !window.EventSource) { return; }
  var count = bell.querySelector(".bell-count");
  var paused = bell.querySelector(".bell-paused");

  function show(state) {
    var unread = Number(state.unread) || 0;
    count.textContent = unread > 99 ? "99+" : String(unread);
    count.setAttribute("data-unread", String(unread));
    count.hidden = unread === 0;
    paused.hidden = !state.paused;
    bell.title = state.paused ? "MailMagnet is paused: reconnect your mailbox" :
      unread + " new MailMagnet notification" + (unread === 1 ? "" : "s");
    bell.dispatchEvent(new CustomEvent("gpanel:bell", { detail: state }));
  }

  var source = new EventSource(bell.getAttribute("data-stream"));
  source.addEventListener("bell", function (event) {
    try { show(JSON.parse(event.data)); } catch (e) { /* ignore a malformed event */ }
  });
})();
