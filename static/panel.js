// The record panel: loads the thread list into a record page's #mail-panel as it arrives (the
// fragment is streamed: each mailbox's rows as soon as it answers, every part ending with a
// marker, the last part the final list), pages with "More threads", and runs the panel's forms (unlink, undo, private, block, "why") in place.
// Every change goes through the same POST endpoints as the plain forms, with the session's
// CSRF token in X-CSRF-Token. The HTML comes from gpanel's own templates (already escaped);
// nothing here builds markup from data. Without JavaScript the panel page works on its own.
(function () {
  "use strict";

  var panel = document.getElementById("mail-panel");
  if (!panel) { return; }
  var type = panel.getAttribute("data-record-type");
  var id = panel.getAttribute("data-record-id");
  var base = "/records/" + encodeURIComponent(type) + "/" + encodeURIComponent(id) + "/panel";
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  function slot() {
    var found = panel.querySelector(".panel-slot");
    if (!found) {
      found = document.createElement("div");
      found.className = "panel-slot";
      panel.appendChild(found);
    }
    return found;
  }

  function withFragment(url) {
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "fragment=1";
  }

  function parse(html) {
    return new DOMParser().parseFromString(html, "text/html");
  }

  var PART_END = "<!--/panel-part-->";

  // Show one streamed part: it replaces what the slot held (each part is a whole list).
  function show(html) {
    var doc = parse(html);
    var part = doc.querySelector(".panel-part");
    var nodes = part ? part.childNodes : doc.body.childNodes;
    var target = slot();
    target.replaceChildren.apply(target, Array.prototype.slice.call(nodes));
  }

  function streamParts(resp) {
    if (!resp.body || !window.TextDecoder) { return resp.text().then(function (text) { eachPart(text, true); }); }
    var reader = resp.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) { buffer += decoder.decode(); eachPart(buffer, true); return; }
        buffer = eachPart(buffer + decoder.decode(chunk.value, { stream: true }), false);
        return pump();
      });
    }
    return pump();
  }

  // Show every complete part in `text`; return what is left (or show it, at the end).
  function eachPart(text, last) {
    var at = text.indexOf(PART_END);
    while (at >= 0) {
      show(text.slice(0, at));
      text = text.slice(at + PART_END.length);
      at = text.indexOf(PART_END);
    }
    if (last && text.trim()) { show(text); return ""; }
    return text;
  }

  function load(extra) {
    var body = panel.querySelector(".panel-body");
    var company = body && body.getAttribute("data-company") === "1";
    var params = [];
    if (company) { params.push("company=1"); }
    if (extra) { params.push(extra); }
    var url = base + (params.length ? "?" + params.join("&") : "");
    panel.setAttribute("aria-busy", "true");
    return fetch(withFragment(url) + "&stream=1", { credentials: "same-origin" })
      .then(function (resp) {
        if (resp.ok) { return streamParts(resp).then(function () { return null; }); }
        return resp.text().then(function (text) { return [resp, text]; });
      })
      .then(function (pair) {
        if (!pair) { return; }
        var target = slot();
        if (!pair[0].ok) {
          target.textContent = "";
          var p = document.createElement("p");
          p.className = "panel-notice";
          p.textContent = "The mail panel could not load. ";
          var a = document.createElement("a");
          a.href = base;
          a.textContent = "Open it on its own page";
          p.appendChild(a);
          target.appendChild(p);
          return;
        }
        var doc = parse(pair[1]);
        target.replaceChildren.apply(target, Array.prototype.slice.call(doc.body.childNodes));
      })
      .catch(function () { slot().textContent = "The mail panel could not load. Reload the page."; })
      .then(function () { panel.removeAttribute("aria-busy"); });
  }

  function post(form, url) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf },
      body: new FormData(form)
    });
  }

  panel.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    if (form.hasAttribute("data-panel-why")) {
      event.preventDefault();
      var answer = form.parentNode.querySelector(".panel-why-answer");
      answer.textContent = "Looking…";
      post(form, withFragment(form.action)).then(function (resp) { return resp.text(); })
        .then(function (html) {
          var doc = parse(html);
          answer.replaceChildren.apply(answer, Array.prototype.slice.call(doc.body.childNodes));
        })
        .catch(function () { answer.textContent = "The look-up failed. Try again."; });
      return;
    }
    var action = form.getAttribute("data-panel-action");
    if (!action) { return; }
    event.preventDefault();
    post(form, form.action).then(function (resp) {
      if (!resp.ok) { throw new Error("refused"); }
      if (action === "unlink") {
        var m = form.querySelector('[name="mailbox_id"]').value;
        var t = form.querySelector('[name="thread_id"]').value;
        return load("undo=" + encodeURIComponent(m + ":" + t));
      }
      return load(action === "block" || action === "private" ? "done=" + action : "");
    }).catch(function () { window.alert("gpanel could not do that. Reload and try again."); });
  });

  panel.addEventListener("click", function (event) {
    var link = event.target instanceof Element ? event.target.closest("a") : null;
    if (!link) { return; }
    if (link.classList.contains("panel-more")) {
      event.preventDefault();
      fetch(withFragment(link.href), { credentials: "same-origin" })
        .then(function (resp) { return resp.text(); })
        .then(function (html) {
          var doc = parse(html);
          var list = panel.querySelector(".panel-rows");
          doc.querySelectorAll(".panel-rows > li").forEach(function (li) { list.appendChild(li); });
          var wrap = link.closest(".panel-more-wrap");
          var next = doc.querySelector(".panel-more-wrap");
          if (next) { wrap.replaceWith(next); } else { wrap.remove(); }
        });
    } else if (link.classList.contains("panel-retry") || link.classList.contains("panel-company")) {
      event.preventDefault();
      var body = panel.querySelector(".panel-body");
      if (link.classList.contains("panel-company") && body) {
        body.setAttribute("data-company", body.getAttribute("data-company") === "1" ? "0" : "1");
      }
      load("");
    }
  });

  // "1 new email": while the page is open, /records/.../news (server-sent events) counts the
  // mail MailMagnet found since the stream began; the button reloads the panel and starts a
  // fresh count. The banner's text is built here from a number only.
  var news = null;
  var banner = null;
  function watch() {
    if (!window.EventSource || panel.getAttribute("data-embed") === "1") { return; }
    if (news) { news.close(); }
    news = new EventSource(base.replace(/\/panel$/, "/news"));
    news.addEventListener("news", function (event) {
      var n = 0;
      try { n = Number(JSON.parse(event.data).count) || 0; } catch (e) { return; }
      if (!banner) {
        banner = document.createElement("button");
        banner.type = "button";
        banner.className = "panel-news";
        banner.setAttribute("aria-live", "polite");
        banner.addEventListener("click", function () {
          banner.hidden = true;
          load("").then(watch);
        });
        var heading = panel.querySelector("h2");
        panel.insertBefore(banner, heading ? heading.nextSibling : panel.firstChild);
      }
      banner.textContent = n + " new email" + (n === 1 ? "" : "s") + " — show";
      banner.hidden = n === 0;
    });
  }

  // A streamed page (the embed) leaves the parts a later part replaced: keep the last only.
  var parts = panel.querySelectorAll(".panel-part");
  for (var i = 0; i < parts.length - 1; i++) { parts[i].remove(); }

  if (panel.getAttribute("data-loaded") !== "1") {
    load("").then(watch);
  } else {
    watch();
  }
}());
