// Dates in the reader's own time zone: every <time data-local datetime="..."> the server wrote
// (in the org's zone) is shown again in the browser's zone, with the server's text kept as its
// title. Reads only the page's own attributes; nothing is fetched, nothing reads a mail frame.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat) { return; }
  var format = new Intl.DateTimeFormat(undefined, {
    weekday: "short", day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZoneName: "short"
  });
  document.querySelectorAll("time[data-local][datetime]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) { return; }
    if (!el.title) { el.title = el.textContent.trim(); }
    el.textContent = format.format(when);
  });
}());
