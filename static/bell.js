// The MailMagnet bell: listens to /notifications/stream (server-sent events) and shows the
// unread count and a paused marker. EventSource reconnects by itself when a stream ends.
// With JavaScript the bell's link becomes a button that opens a dropdown (#bell-menu) filled
// from /notifications/menu: focus moves to its first link, Escape or a click outside closes
// it and Escape returns focus to the bell. Without JavaScript the bell stays a link.
(function () {
  "use strict";
  var link = document.getElementById("bell");
  if (!link) { return; }
  var menu = document.getElementById("bell-menu");
  var bell = link;

  if (menu && window.fetch) {
    bell = document.createElement("button");
    bell.type = "button";
    ["id", "class", "title", "aria-label", "data-stream", "data-menu"].forEach(function (name) {
      if (link.hasAttribute(name)) { bell.setAttribute(name, link.getAttribute(name)); }
    });
    bell.setAttribute("aria-expanded", "false");
    bell.setAttribute("aria-controls", menu.id);
    while (link.firstChild) { bell.appendChild(link.firstChild); }
    link.parentNode.replaceChild(bell, link);
    wireMenu(bell, menu);
  }

  function place() {
    var box = bell.getBoundingClientRect();
    var gap = 8;
    var width = Math.min(384, window.innerWidth - 2 * gap);
    var left = Math.min(Math.max(gap, box.right - width + 12), window.innerWidth - width - gap);
    menu.style.top = Math.round(box.bottom + 6) + "px";
    menu.style.left = Math.round(left) + "px";
    menu.style.width = Math.round(width) + "px";
  }

  function wireMenu(button, panel) {
    var loading = 0;

    function isOpen() { return button.getAttribute("aria-expanded") === "true"; }

    function close(refocus) {
      if (!isOpen()) { return; }
      button.setAttribute("aria-expanded", "false");
      panel.hidden = true;
      if (refocus) { button.focus(); }
    }

    function open() {
      var ticket = ++loading;
      button.setAttribute("aria-expanded", "true");
      panel.hidden = false;
      place();
      panel.setAttribute("aria-busy", "true");
      fetch(button.getAttribute("data-menu"), {
        credentials: "same-origin", headers: { "Accept": "text/html" }
      }).then(function (response) {
        if (!response.ok || response.redirected) { throw new Error("menu " + response.status); }
        return response.text();
      }).then(function (html) {
        if (ticket !== loading || !isOpen()) { return; }
        panel.innerHTML = html;
        panel.removeAttribute("aria-busy");
        var first = panel.querySelector("a[href]");
        if (first) { first.focus(); }
      }).catch(function () {
        // Signed out or the server did not answer: the page itself says why.
        window.location.assign("/notifications");
      });
    }

    button.addEventListener("click", function () {
      if (isOpen()) { close(false); } else { open(); }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && isOpen()) {
        event.preventDefault();
        close(true);
      }
    });
    document.addEventListener("click", function (event) {
      if (isOpen() && !panel.contains(event.target) && !button.contains(event.target)) {
        close(false);
      }
    });
    panel.addEventListener("focusout", function (event) {
      var next = event.relatedTarget;
      if (next && !panel.contains(next) && next !== button) { close(false); }
    });
    window.addEventListener("resize", function () { if (isOpen()) { place(); } });
    window.addEventListener("scroll", function () { if (isOpen()) { place(); } }, { passive: true });
  }

  if (!window.EventSource) { return; }
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
