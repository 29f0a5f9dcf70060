// Dates in the reader's own time zone: every <time data-local datetime="..."> the server wrote
// (in UTC, or the org's zone, with the zone in the text) is shown again in the browser's zone,
// with the server's text kept as its title. data-local="date" shows the day only. Loaded on
// every page (base.html); parts of a page filled in later (the mail panel's rows) are done as
// they arrive. Reads only the page's own attributes; nothing is fetched, nothing reads a mail
// frame.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) { return; }
  var formats = {
    time: new Intl.DateTimeFormat(undefined, {
      weekday: "short", day: "numeric", month: "short", year: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    }),
    date: new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" })
  };
  function localise(el) {
    if (el.hasAttribute("data-localised")) { return; }
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    if (!el.title) { el.title = el.textContent.trim(); }
    var format = el.getAttribute("data-local") === "date" ? formats.date : formats.time;
    el.textContent = format.format(when);
    el.setAttribute("data-localised", "");
  }
  function within(root) {
    if (root.matches && root.matches("time[data-local][datetime]")) { localise(root); }
    if (root.querySelectorAll) {
      root.querySelectorAll("time[data-local][datetime]").forEach(localise);
    }
  }
  function start() {
    within(document);
    if (window.MutationObserver) {
      new MutationObserver(function (changes) {
        changes.forEach(function (change) { change.addedNodes.forEach(within); });
      }).observe(document.body, { childList: true, subtree: true });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
