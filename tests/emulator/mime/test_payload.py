"""Raw RFC 822 into Gmail's payload tree, snippet and header facts, safely on hostile mail."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from gpanel.emulator.mime import payload as mime_payload
from gpanel.emulator.mime import summary as mime_summary
from tests.mail.corpus import MIME

CORPUS = MIME  # found as every corpus test finds it (tests.support.needs)

MULTIPART = (
    b"From: Bob <bob@globex.example>\r\n"
    b"To: ann@acme.example\r\n"
    b"Subject: =?UTF-8?B?Q2Fmw6kgbWVudQ==?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
    b"--outer\r\n"
    b'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n'
    b"--inner\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    b"Caf=E9 &amp; cr=E8me\r\n"
    b"--inner\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Caf\xc3\xa9 &amp; cr\xc3\xa8me</p>\r\n"
    b"--inner--\r\n"
    b"--outer\r\n"
    b'Content-Type: application/pdf; name="quote.pdf"\r\n'
    b'Content-Disposition: attachment; filename="quote.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\n"
    + base64.b64encode(b"%PDF-1.4 fake")
    + b"\r\n--outer--\r\n"
)


def _unb64(data: str) -> bytes:
    return base64.urlsafe_b64decode(data)


def test_multipart_tree_has_gmail_part_ids_and_transfer_decoded_bodies_in_own_charset() -> None:
    """partIds "", "0", "0.0"; bodies are transfer-decoded bytes still in the part's charset."""
    payload = mime_payload.payload_resource(MULTIPART, "m1")
    assert payload["partId"] == "" and payload["mimeType"] == "multipart/mixed"
    assert payload["body"] == {"size": 0}
    alternative, attachment = payload["parts"]
    assert alternative["partId"] == "0"
    plain, html = alternative["parts"]
    assert plain["partId"] == "0.0" and html["partId"] == "0.1"
    assert _unb64(plain["body"]["data"]) == "Café &amp; crème".encode("iso-8859-1")
    assert plain["body"]["size"] == len("Café &amp; crème")
    assert attachment["filename"] == "quote.pdf"
    assert "data" not in attachment["body"] and attachment["body"]["size"] == 13
    data = mime_payload.attachment_bytes(MULTIPART, "m1", attachment["body"]["attachmentId"])
    assert data == b"%PDF-1.4 fake"
    # An attachment id is bound to its message.
    assert (
        mime_payload.attachment_bytes(MULTIPART, "m2", attachment["body"]["attachmentId"]) is None
    )


def test_headers_decode_encoded_words_and_summary_reads_text() -> None:
    """Subject encoded words are decoded; the snippet comes from text/plain."""
    headers = {
        h["name"]: h["value"] for h in mime_payload.payload_resource(MULTIPART, "m")["headers"]
    }
    assert headers["Subject"] == "Café menu"
    summary = mime_summary.summarize(MULTIPART)
    assert summary.subject == "Café menu"
    # The body's text is "Café &amp; crème"; Gmail's snippets are HTML-escaped on top of that.
    assert summary.snippet == "Café &amp;amp; crème"
    assert summary.has_attachment and summary.filenames == ["quote.pdf"]


def test_snippet_from_html_only_mail_decodes_entities_and_skips_style() -> None:
    """HTML-only mail: tags and <style> dropped, entities decoded, whitespace collapsed, then
    escaped as Gmail sends snippets."""
    raw = (
        b"Subject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Fish &amp; chips</p>"
        b"<div>caf&eacute;\n\n  today</div></body></html>"
    )
    assert mime_summary.summarize(raw).snippet == "Fish &amp; chips café today"


def test_metadata_payload_filters_headers_case_insensitively() -> None:
    """format=metadata keeps only the asked-for headers, matched regardless of case."""
    payload = mime_payload.metadata_payload(MULTIPART, ["subject", "FROM"])
    assert [h["name"] for h in payload["headers"]] == ["From", "Subject"]
    assert "parts" not in payload and "body" not in payload


def test_subject_normalisation_strips_reply_and_forward_prefixes() -> None:
    """Threading compares subjects without Re:/Fwd:/AW:/SV: prefixes, case-insensitively."""
    assert mime_summary.normalize_subject("Re: AW: Fwd:  Quote  ") == "quote"
    assert mime_summary.normalize_subject("SV: Re[2]: Quote") == "quote"
    assert mime_summary.normalize_subject("Regarding quote") == "regarding quote"


def test_huge_header_block_is_cut_and_parses_quickly() -> None:
    """A 16,000-address To: header does not stall parsing (the header block is capped)."""
    import time

    to = ", ".join(f"user{i}@example.com" for i in range(16_000))
    raw = f"From: a@b.example\r\nTo: {to}\r\nSubject: big\r\n\r\nbody\r\n".encode()
    start = time.process_time()  # CPU, not wall: a loaded machine must not fail it
    summary = mime_summary.summarize(raw)
    payload = mime_payload.payload_resource(raw, "m")
    assert time.process_time() - start < 3
    assert payload["mimeType"] == "text/plain"
    assert summary.recipient_addresses()  # some addresses were still read


def test_unknown_charset_and_broken_structure_do_not_raise() -> None:
    """Unknown charsets fall back to UTF-8; a multipart without its boundary still renders."""
    raw = (
        b"Subject: =?x-unknown?Q?caf=E9?=\r\n"
        b"Content-Type: multipart/mixed; boundary=nothere\r\n\r\n"
        b"\xff\xfe garbage without parts"
    )
    payload = mime_payload.payload_resource(raw, "m")
    assert payload["mimeType"].startswith("multipart/") or payload["mimeType"] == "text/plain"
    assert mime_summary.summarize(raw).subject.startswith("caf")


def _corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*") if p.is_file())


@pytest.mark.corpus("mime")
def test_every_corpus_message_renders_without_raising() -> None:
    """Every file of the shared MIME corpus yields a payload, summary and its attachments."""
    files = _corpus_files()
    assert len(files) > 500
    failures = []
    for path in files:
        raw = path.read_bytes()
        try:
            payload = mime_payload.payload_resource(raw, "m")
            assert payload["partId"] == ""
            mime_summary.summarize(raw)
            mime_payload.metadata_payload(raw, ["Subject"])
            for part in mime_payload.build_tree(raw).walk():
                if part.attachment:
                    att = mime_payload.attachment_id("m", part.part_id)
                    assert mime_payload.attachment_bytes(raw, "m", att) is not None
        except Exception as exc:  # collected so one run names every failure
            failures.append(f"{path}: {type(exc).__name__}")
    assert failures == []
