"""Reading format=full resources: body choice, charsets, cid parts, attachments, size limits."""

from __future__ import annotations

import base64
import time
from typing import Any

from gpanel.mail.message import read_message
from gpanel.mail.render import TRUNCATION_NOTICE_CLASS, render_body
from tests.mail.pipeline import visible_text


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def part(
    mime: str,
    data: bytes | None = None,
    *,
    part_id: str = "0",
    filename: str = "",
    headers: list[tuple[str, str]] | None = None,
    parts: list[Any] | None = None,
    attachment_id: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {"size": len(data or b"")}
    if data is not None and attachment_id is None:
        body["data"] = b64(data)
    if attachment_id:
        body["attachmentId"] = attachment_id
    out: dict[str, Any] = {
        "partId": part_id,
        "mimeType": mime,
        "filename": filename,
        "headers": [{"name": n, "value": v} for n, v in (headers or [])],
        "body": body,
    }
    if parts is not None:
        out["parts"] = parts
    return out


def message(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "m1",
        "threadId": "t1",
        "labelIds": ["INBOX"],
        "internalDate": "0",
        "payload": payload,
    }


def test_alternative_prefers_html_and_keeps_text() -> None:
    """multipart/alternative: HTML for display, plain text kept as the text body."""
    view = read_message(
        message(
            part(
                "multipart/alternative",
                part_id="",
                parts=[
                    part("text/plain", b"plain words", part_id="0"),
                    part("text/html", b"<p>html words</p>", part_id="1"),
                ],
            )
        )
    )
    assert view.text_body is not None and view.text_body.text == "plain words"
    assert view.html_body is not None and "html words" in view.html_body.text
    assert view.attachments == ()


def test_part_charsets_decode_and_unknown_ones_do_not_fail() -> None:
    """Each part decodes in its own charset; an unknown label is detected, not an error."""
    view = read_message(
        message(
            part(
                "multipart/mixed",
                part_id="",
                parts=[
                    part(
                        "text/plain",
                        "Grüße".encode("iso-8859-1"),
                        part_id="0",
                        headers=[("Content-Type", 'text/plain; charset="iso-8859-1"')],
                    ),
                    part(
                        "text/plain",
                        "日本語のテキスト".encode("iso2022_jp"),
                        part_id="1",
                        headers=[("Content-Type", "text/plain; charset=ISO-2022-JP")],
                    ),
                    part(
                        "text/plain",
                        "naïve".encode(),
                        part_id="2",
                        headers=[("Content-Type", "text/plain; charset=x-unknown")],
                    ),
                ],
            )
        )
    )
    assert view.text_body is not None
    assert view.text_body.text == "Grüße\n日本語のテキスト\nnaïve"
    assert view.text_body.exact


def test_related_cid_parts_and_attachments() -> None:
    """Related resources are reachable by cid (case and brackets ignored); attachments listed
    with safe names; attached messages are attachments, never bodies."""
    view = read_message(
        message(
            part(
                "multipart/mixed",
                part_id="",
                parts=[
                    part(
                        "multipart/related",
                        part_id="0",
                        parts=[
                            part("text/html", b'<img src="cid:Logo@X">', part_id="0.0"),
                            part(
                                "image/png",
                                b"\x89PNG",
                                part_id="0.1",
                                headers=[("Content-ID", "<logo@x>")],
                                attachment_id="att1",
                            ),
                        ],
                    ),
                    part(
                        "application/pdf",
                        b"%PDF",
                        part_id="1",
                        filename="../../etc/passwd\r\n.pdf",
                        attachment_id="att2",
                    ),
                    part(
                        "message/rfc822",
                        b"Subject: hi\r\n\r\nbody",
                        part_id="2",
                        attachment_id="att3",
                    ),
                ],
            )
        )
    )
    inline = view.part_for_cid("cid:Logo%40X")
    assert inline is not None and inline.attachment_id == "att1" and inline.inline
    pdf = next(a for a in view.attachments if a.part_id == "1")
    assert "/" not in pdf.filename and "\n" not in pdf.filename and pdf.filename.endswith(".pdf")
    assert pdf.content_disposition.startswith('attachment; filename="')
    assert "\r" not in pdf.content_disposition and "\n" not in pdf.content_disposition
    forwarded = next(a for a in view.attachments if a.part_id == "2")
    assert forwarded.is_message and forwarded.filename.endswith(".eml")
    assert view.html_body is not None and "body" not in view.html_body.text


def test_body_cid_image_is_rewritten_to_the_attachment_endpoint() -> None:
    """The renderer maps cid: through the caller's rewriter to gpanel's attachment URL."""
    view = read_message(
        message(
            part(
                "multipart/related",
                part_id="",
                parts=[
                    part("text/html", b'<p>x<img src="cid:a1"></p>', part_id="0"),
                    part(
                        "image/gif",
                        b"GIF89a",
                        part_id="1",
                        headers=[("Content-ID", "<a1>")],
                        attachment_id="g",
                    ),
                ],
            )
        )
    )

    def rewrite(url: str) -> str | None:
        found = view.part_for_cid(url)
        return f"https://crm.example/mail/att/m1/{found.part_id}" if found else None

    rendered = render_body(view, rewrite_src=rewrite)
    assert '<img src="https://crm.example/mail/att/m1/1">' in rendered.html


def test_any_shape_of_resource_gives_a_view() -> None:
    """Nonsense resources never raise: deep nesting, wrong types, bad base64."""
    deep: dict[str, Any] = part("text/plain", b"bottom")
    for _ in range(200):
        deep = part("multipart/mixed", parts=[deep])
    for junk in (
        {},
        {"payload": []},
        {"payload": {"mimeType": 5, "parts": "x"}},
        {"payload": {"mimeType": "text/plain", "body": {"data": "!!!*", "size": "x"}}},
        message(deep),
    ):
        view = read_message(junk)
        assert view.attachments is not None
    assert read_message(message(deep)).structure_truncated


def test_ten_megabyte_html_and_text_bodies_are_cut_with_a_notice() -> None:
    """10 MB bodies render in bounded time, cut at the limit, with the truncation notice."""
    html = ("<p>" + "word " * 40 + "</p>\n").encode() * (10 * 1024 * 1024 // 205)
    text = (b"line of text with https://example.com/link \n") * (10 * 1024 * 1024 // 44)
    for mime, data in (("text/html", html), ("text/plain", text)):
        started = time.process_time()  # CPU, not wall: a loaded machine must not fail it
        view = read_message(message(part(mime, data, part_id="")))
        rendered = render_body(view, original_url="https://crm.example/mail/original/m1")
        elapsed = time.process_time() - started
        body = view.html_body or view.text_body
        assert body is not None and body.truncated and body.size >= 10 * 1024 * 1024 - 300
        assert len(body.text) <= 2 * 1024 * 1024 * 2
        assert TRUNCATION_NOTICE_CLASS in rendered.html
        assert "https://crm.example/mail/original/m1" in rendered.html
        assert visible_text(rendered.html).strip()
        assert elapsed < 5.0, (mime, elapsed)
