// The calendar tab: loads the meetings fragment into a record page's #calendar-panel, switches
// between upcoming and past (and, on a deal, with or without its company) in place, sends the
// browser's time zone, and copies the "last meeting / next meeting" line under the record's
// heading. The HTML comes from gpanel's own
// templates (already escaped); nothing here builds markup from data. Without JavaScript the
// tab's own page works.
(function () {
  "use strict";

  var panel = document.getElementById("calendar-panel");
  if (!panel) { return; }
  var type = panel.getAttribute("data-record-type");
  var id = panel.getAttribute("data-record-id");
  var base = "/records/" + encodeURIComponent(type) + "/" + encodeURIComponent(id) + "/calendar";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }

  function slot() { return panel.querySelector(".calendar-slot"); }

  function summary(root) {
    var line = root.querySelector(".meeting-summary");
    var heading = document.querySelector("main h1, h1");
    if (!line || !heading) { return; }
    var old = document.getElementById("record-meetings");
    if (old) { old.remove(); }
    var copy = line.cloneNode(true);
    copy.id = "record-meetings";
    heading.insertAdjacentElement("afterend", copy);
  }

  function load(when, company) {
    var url = base + "?fragment=1&when=" + encodeURIComponent(when) + "&tz=" + encodeURIComponent(zone);
    if (company) { url += "&company=1"; }
    panel.setAttribute("aria-busy", "true");
    return fetch(url, { credentials: "same-origin" })
      .then(function (resp) { return resp.text().then(function (t) { return [resp, t]; }); })
      .then(function (pair) {
        var target = slot();
        if (!pair[0].ok) {
          target.textContent = "The calendar could not load. ";
          var a = document.createElement("a");
          a.href = base;
          a.textContent = "Open it on its own page";
          target.appendChild(a);
          return;
        }
        var doc = new DOMParser().parseFromString(pair[1], "text/html");
        target.replaceChildren.apply(target, Array.prototype.slice.call(doc.body.childNodes));
        summary(target);  // the fragment's nodes now live in the page, not in `doc`
      })
      .finally(function () { panel.removeAttribute("aria-busy"); });
  }

  panel.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a.calendar-switch") : null;
    if (!link) { return; }
    event.preventDefault();
    load(link.getAttribute("data-when"), link.getAttribute("data-company") === "1");
  });

  load("upcoming", false);
})();
