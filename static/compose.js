// The compose form (templates/sending/compose.html): render a template for the record, show
// every missing merge field before sending, send as JSON with one Idempotency-Key per page.
// "Save draft" keeps the form as a Gmail draft: POST /api/mail/drafts the first time, then PUT
// /api/mail/drafts/{id} (the same Gmail draft); a reopened draft's id comes in data-draft-id.
// "Rich text" swaps the plain textarea for a Quill editor (static/quill.js, vendored): its HTML
// goes as `html` beside its plain text, and gpanel sanitises that HTML (nh3) before sending.
// No inline script anywhere (the CSP forbids it); everything here reads data-* attributes.
"use strict";
(function () {
  const form = document.getElementById("compose-form");
  if (!form) return;
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const $ = (id) => document.getElementById(id);
  const record = { type: form.dataset.kind, id: Number(form.dataset.recordId) };
  const list = (value) => value.split(",").map((s) => s.trim()).filter(Boolean);
  let templateId = null;
  let editor = null;
  const rich = () => editor !== null && $("compose-rich").checked;
  const bodyText = () => (rich() ? editor.getText().replace(/\n+$/, "") : $("compose-text").value);

  $("compose-rich").addEventListener("change", () => {
    const on = $("compose-rich").checked;
    if (on && editor === null) {
      if (!window.Quill) { $("compose-rich").checked = false; return; }
      editor = new window.Quill("#compose-editor", {
        theme: "snow",
        modules: { toolbar: [["bold", "italic", "underline"], [{ list: "ordered" }, { list: "bullet" }], ["link", "clean"]] },
      });
      editor.on("text-change", () => showMissing(currentMissing()));
    }
    if (on) editor.setText($("compose-text").value);
    else if (editor !== null) $("compose-text").value = editor.getText().replace(/\n+$/, "");
    $("compose-editor-box").hidden = !on;
    $("compose-text").closest("label").style.display = on ? "none" : "";
  });

  function showMissing(missing) {
    const box = $("compose-missing");
    if (!missing || !missing.length) { box.hidden = true; box.textContent = ""; return; }
    box.hidden = false;
    box.textContent = "Missing for this record: " + missing.join(", ") +
      ". Fill them in (or give a fallback) before sending.";
  }

  function showErrors(errors) {
    const box = $("compose-errors");
    if (!errors || !errors.length) { box.hidden = true; box.textContent = ""; return; }
    box.hidden = false;
    box.textContent = errors.map((e) => (e.field ? e.field + ": " : "") + e.message).join("; ");
  }

  async function post(path, body, extra) {
    const headers = Object.assign({ "Content-Type": "application/json", "X-CSRF-Token": csrf }, extra || {});
    const response = await fetch(path, { method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin" });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return { status: response.status, data };
  }

  async function postForm(body, files, path, method) {
    // Attachments: a multipart/form-data body, the JSON as the "message" part.
    const data = new FormData();
    data.append("message", JSON.stringify(body));
    for (const file of files) data.append("file", file, file.name);
    const headers = { "X-CSRF-Token": csrf };
    if (!path) headers["Idempotency-Key"] = form.dataset.idempotencyKey;
    const response = await fetch(path || "/api/mail/send", { method: method || "POST", headers, body: data, credentials: "same-origin" });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = {}; }
    return { status: response.status, data: answer };
  }

  // Drag and drop onto the form adds the files to the picker.
  form.addEventListener("dragover", (event) => event.preventDefault());
  form.addEventListener("drop", (event) => {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      $("compose-files").files = event.dataTransfer.files;
    }
  });

  function htmlToText(html) {
    const doc = new DOMParser().parseFromString(html.replace(/<br\s*\/?>/gi, "\n").replace(/<\/p>/gi, "\n"), "text/html");
    return (doc.body.textContent || "").trim();
  }

  function currentMissing() {
    // Fields still written as {{...}} in what the user will send.
    const text = [$("compose-subject") ? $("compose-subject").value : "", bodyText()].join("\n");
    const found = [];
    for (const m of text.matchAll(/\{\{\s*([A-Za-z_]+\.[A-Za-z_]+)[^}]*\}\}/g)) {
      if (!found.includes(m[1])) found.push(m[1]);
    }
    return found;
  }

  const picker = $("compose-template");
  if (picker) {
    picker.addEventListener("change", async () => {
      templateId = picker.value ? Number(picker.value) : null;
      if (!templateId) { showMissing([]); return; }
      const { status, data } = await post("/api/mail/render", { template_id: templateId, record });
      if (status !== 200) { showErrors(data.errors); return; }
      if ($("compose-subject")) $("compose-subject").value = data.subject;
      // A template written only as HTML still fills the plain-text editor.
      $("compose-text").value = data.text || htmlToText(data.html || "");
      if (rich()) {
        if (data.html) editor.setContents(editor.clipboard.convert({ html: data.html }));
        else editor.setText($("compose-text").value);
      }
      showMissing(data.missing);
    });
  }
  $("compose-text").addEventListener("input", () => showMissing(currentMissing()));
  if ($("compose-subject")) $("compose-subject").addEventListener("input", () => showMissing(currentMissing()));

  function collect() {
    const body = {
      from: $("compose-from").value || undefined,
      to: list($("compose-to").value),
      cc: list($("compose-cc").value),
      bcc: list($("compose-bcc").value),
      text: bodyText(),
      record,
    };
    // Quill 2 writes every space as &nbsp; in its semantic HTML; mail wants plain spaces.
    if (rich()) body.html = editor.getSemanticHTML().replace(/&nbsp;/g, " ");
    if ($("compose-subject")) body.subject = $("compose-subject").value;
    if (form.dataset.replyMode) {
      body.reply_to = {
        mailbox_id: Number(form.dataset.replyMailbox),
        thread_id: form.dataset.replyThread,
        message_id: form.dataset.replyMessage,
        mode: form.dataset.replyMode,
      };
    }
    return body;
  }

  $("compose-save-draft").addEventListener("click", async () => {
    showErrors([]);
    const body = collect();
    const id = form.dataset.draftId;
    const path = id ? "/api/mail/drafts/" + encodeURIComponent(id) : "/api/mail/drafts";
    const method = id ? "PUT" : "POST";
    const files = $("compose-files").files;
    $("compose-save-draft").disabled = true;
    $("compose-status").textContent = "Saving draft…";
    let answer;
    if (files.length) {
      answer = await postForm(body, files, path, method);
    } else {
      const headers = { "Content-Type": "application/json", "X-CSRF-Token": csrf };
      const response = await fetch(path, { method, headers, body: JSON.stringify(body), credentials: "same-origin" });
      let data = {};
      try { data = await response.json(); } catch (e) { data = {}; }
      answer = { status: response.status, data };
    }
    $("compose-save-draft").disabled = false;
    if (answer.status === 200 || answer.status === 201) {
      form.dataset.draftId = answer.data.draft_id;
      $("compose-status").textContent = "Draft saved in your Gmail.";
      return;
    }
    $("compose-status").textContent = "";
    showErrors(answer.data.errors || [{ field: "", message: "Saving failed (" + answer.status + ")." }]);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showErrors([]);
    const missing = currentMissing();
    if (missing.length) { showMissing(missing); return; }
    const body = collect();
    if (form.dataset.draftId) body.draft_id = form.dataset.draftId;
    const remind = $("compose-remind").value;
    if (remind) body.remind_days = Number(remind);
    $("compose-send").disabled = true;
    $("compose-status").textContent = "Sending…";
    const files = $("compose-files").files;
    const total = Array.from(files).reduce((n, f) => n + f.size, 0);
    if (total > 35 * 1024 * 1024) {
      $("compose-send").disabled = false;
      $("compose-status").textContent = "";
      showErrors([{ field: "attachments", message: "Gmail takes at most 35 MB in all; remove or shrink files." }]);
      return;
    }
    const { status, data } = files.length
      ? await postForm(body, files)
      : await post("/api/mail/send", body, { "Idempotency-Key": form.dataset.idempotencyKey });
    $("compose-send").disabled = false;
    if (status === 200 || status === 201) {
      $("compose-status").textContent = data.draft_id
        ? "Waiting as a Gmail draft; it goes at " + data.send_at + "."
        : "Sent.";
      form.dataset.sent = data.message_id || data.draft_id || "";
      $("compose-send").disabled = true;
      $("compose-save-draft").disabled = true;
      return;
    }
    $("compose-status").textContent = "";
    if (data.missing) showMissing(data.missing);
    showErrors(data.errors || [{ field: "", message: "Sending failed (" + status + ")." }]);
  });
})();
