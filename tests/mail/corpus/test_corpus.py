"""Every message of the shared MIME corpora goes through the production rendering path.

Pins down: raw RFC 822 -> Gmail resource (the emulator's converter) -> read_message ->
render_body -> srcdoc_document never raises on real and malformed mail, each message renders in
bounded time, every message with a readable body part (judged by an independent oracle) shows
non-empty text, and bodies decoded exactly in a charset carry (almost) no U+FFFD.
"""

from __future__ import annotations

import time

import pytest

from tests.mail.corpus import corpus_messages, gmail_message, has_readable_body
from tests.mail.pipeline import render, visible_text

PER_MESSAGE_SECONDS = 2.0
MAX_REPLACEMENT_FRACTION = 0.01

pytestmark = pytest.mark.corpus("mime")


def test_every_corpus_message_renders_readably() -> None:
    """No exception, bounded time, readable text wherever the source has a body."""
    crashes: list[str] = []
    unreadable: list[str] = []
    garbled: list[str] = []
    timings: list[tuple[float, str]] = []
    parsed = with_text = exact = 0
    started = time.perf_counter()
    for index, (name, raw) in enumerate(corpus_messages()):
        begin = time.perf_counter()
        try:
            view, body, document = render(gmail_message(raw, f"corpus{index}"))
        except Exception as exc:  # the assertion below lists them all
            crashes.append(f"{name}: {type(exc).__name__}")
            continue
        timings.append((time.perf_counter() - begin, name))
        parsed += 1
        assert document.startswith("<!DOCTYPE html><html><head><meta http-equiv=")
        text = visible_text(body.html)
        if has_readable_body(raw):
            with_text += 1
            if not text.strip():
                unreadable.append(name)
        source = view.html_body or view.text_body
        if source is not None and source.exact and text:
            exact += 1
            if text.count("\ufffd") / len(text) >= MAX_REPLACEMENT_FRACTION:
                garbled.append(name)
    total = time.perf_counter() - started
    slowest = max(timings)
    print(
        f"\ncorpus: {parsed} messages parsed, {with_text} with a readable body (all shown), "
        f"{exact} decoded exactly; {total:.2f} s total; slowest {slowest[0] * 1000:.0f} ms "
        f"({slowest[1]})"
    )
    assert parsed > 700, "the corpus walk found too few messages"
    assert not crashes, crashes
    assert not unreadable, unreadable
    assert not garbled, garbled
    assert slowest[0] < PER_MESSAGE_SECONDS, slowest
