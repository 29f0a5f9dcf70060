"""Every XSS corpus payload, rendered by gpanel's production pipeline in real headless Chromium,
runs no script and makes no request; and the harness provably sees live payloads.

Pins down: sanitize_html -> srcdoc_document -> sandboxed iframe stops all payloads (images
blocked, and images allowed through the proxy path); with both layers off, known-live payloads
are detected (the positive control); each layer alone (frame without sanitiser, sanitiser
without frame) still stops the live set and the whole corpus.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from gpanel.mail.frame import iframe_tag, srcdoc_document
from gpanel.mail.sanitize import sanitize_html
from tests.mail.corpus import XSS
from tests.mail.hostile_variants import GPANEL_ORIGIN, planted_proxy, style_variants
from tests.mail.pipeline import ATTACHMENT_PATH, IMAGE_PATHS, PROXY_PATH, rewriter
from tests.mail.xss_harness import (
    BATCH,
    Findings,
    FrameBuilder,
    Payload,
    load_payloads,
    plain_iframe,
    run,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.corpus("xss"),
]

# Payloads that certainly execute or fetch in an unprotected frame: the positive control.
LIVE = [
    Payload("live:img-onerror", "<img src=x onerror=alert(1)>"),
    Payload("live:script", "<script>alert(1)</script>"),
    Payload("live:svg-onload", "<svg onload=alert(1)>"),
    Payload("live:body-onload", "<body onload=alert(1)>"),
    Payload("live:top-flag", '<img src=x onerror="top.__xss=1">'),
    Payload("live:details", "<details open ontoggle=alert(1)>"),
    Payload("live:remote-img", '<img src="http://tracker.example.com/pixel.gif">'),
    Payload(
        "live:css-bg", '<div style="background:url(http://tracker.example.com/bg.png)">x</div>'
    ),
    Payload("live:import", "<style>@import url(http://tracker.example.com/x.css);</style>"),
    Payload(
        "live:meta-refresh", '<meta http-equiv="refresh" content="0;url=http://evil.example.com/">'
    ),
    # A style block with an attribute (it used to skip the CSS filter) and a gpanel proxy URL
    # planted in mail: both load when nothing stops them.
    Payload(
        "live:style-attr", "<style class=x>@import url(http://tracker.example.com/y.css);</style>"
    ),
    Payload("live:planted-proxy", f'<img src="{GPANEL_ORIGIN}{PROXY_PATH}?u=http%3A%2F%2Fx&s=1">'),
]

# Style blocks with attributes (and every other spelling), each importing and fetching, with a
# table for their rules to apply to; and signed proxy URLs from another message or session,
# planted where a browser would load them, on gpanel's real path and the suite's proxy path.
_STYLE_CSS = (
    "@import url(http://tracker.example.com/a.css);"
    "td{background:url(http://tracker.example.com/b.png)}"
)
VARIANTS = [
    Payload(f"style-variant:{i}", v + "<table><tr><td>x</td></tr></table>")
    for i, v in enumerate(style_variants(_STYLE_CSS))
] + [
    Payload(f"planted-proxy:{path}:{i}", v)
    for path in ("/img", PROXY_PATH)
    for i, v in enumerate(planted_proxy(path))
]


def _planted(payload: str, origin: str) -> str:
    """The payload with gpanel's origin where it plants proxy URLs (after instrumenting, so
    the harness does not point those at the sink)."""
    return payload.replace(GPANEL_ORIGIN, origin)


def production(images: bool) -> object:
    def build(payload: str, origin: str) -> str:
        payload = _planted(payload, origin)
        clean = sanitize_html(payload, rewriter(None, origin=origin, images=images))
        return iframe_tag(srcdoc_document(clean.html, origin, IMAGE_PATHS))

    return build


def frame_only(payload: str, origin: str) -> str:
    return iframe_tag(srcdoc_document(_planted(payload, origin), origin, IMAGE_PATHS))


def sanitiser_only(payload: str, origin: str) -> str:
    payload = _planted(payload, origin)
    clean = sanitize_html(payload, rewriter(None, origin=origin, images=False))
    return plain_iframe(f"<!DOCTYPE html><html><head></head><body>{clean.html}</body></html>")


def unprotected(payload: str, origin: str) -> str:
    return plain_iframe(_planted(payload, origin))


def _corpus() -> list[Payload]:
    return load_payloads(XSS)


T = TypeVar("T")


def _run_bounded(work: Coroutine[Any, Any, T]) -> T:
    """Run `work` on a fresh loop, then give leftover tasks (a dialog's dismiss() on a closed
    page, say) ten seconds to cancel. asyncio.run would wait for them forever, and one did
    wedge a whole CI run after every result was in."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(work)
    finally:
        leftovers = asyncio.all_tasks(loop)
        for task in leftovers:
            task.cancel()
        if leftovers:
            loop.run_until_complete(asyncio.wait(leftovers, timeout=10))
        loop.close()


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[int, float, Findings]]:
    """Every configuration rendered once, concurrently (the browser work dominates the time)."""
    corpus = _corpus() + VARIANTS + LIVE
    configs: dict[str, tuple[list[Payload], FrameBuilder, tuple[str, ...], int]] = {
        "production": (corpus, production(images=False), (), BATCH),
        "images": (corpus, production(images=True), (PROXY_PATH, ATTACHMENT_PATH), BATCH),
        "live-unprotected": (LIVE, unprotected, (), 1),
        "corpus-unprotected": (_corpus(), unprotected, (), BATCH),
        # The frame's CSP admits gpanel's own image paths by design, so planted proxy URLs
        # are left out here: what refuses them is the sanitiser (above) and the proxy's binding
        # check on the server (tests/web/threads/test_frame_tokens_e2e.py).
        "frame-only": (
            [p for p in corpus if "planted-proxy" not in p.source],
            frame_only,
            (),
            BATCH,
        ),
        "sanitiser-only": (corpus, sanitiser_only, (), BATCH),
    }

    # Two browsers at a time: CI has two cores, and more browsers only contend for them.
    gate = asyncio.Semaphore(2)

    async def one(name: str) -> tuple[str, tuple[int, float, Findings]]:
        payloads, build, allowed, batch = configs[name]
        async with gate:
            started = time.perf_counter()
            # A bound on the whole run: a wedged browser fails the suite instead of hanging CI.
            findings = await asyncio.wait_for(
                run(payloads, build, allowed_paths=allowed, batch=batch), 400
            )
            return name, (len(payloads), time.perf_counter() - started, findings)

    async def everything() -> dict[str, tuple[int, float, Findings]]:
        return dict(await asyncio.gather(*(one(name) for name in configs)))

    started = time.perf_counter()
    results = _run_bounded(everything())
    print(f"\nXSS suite: {len(configs)} configurations in {time.perf_counter() - started:.1f} s")
    for name, (count, seconds, findings) in results.items():
        print(
            f"  {name}: {count} payloads, {seconds:.1f} s, executed {len(findings.executed)}, "
            f"requests {len(findings.requests)}, dialogs {len(findings.dialogs)}, "
            f"browser refusals {findings.notices}, browser crashes {len(findings.crashes)}"
        )
    return results


def test_production_pipeline_stops_every_payload(
    runs: dict[str, tuple[int, float, Findings]],
) -> None:
    """Sanitiser + frame, remote images blocked: nothing runs, nothing is requested (not even
    gpanel's own proxy, where planted proxy URLs point), and the frame never even had to refuse
    anything (the sanitiser alone left nothing to refuse). Style blocks with attributes and
    planted proxy URLs are part of the set."""
    count, _, findings = runs["production"]
    assert any(p.source.startswith("planted-proxy:") for p in VARIANTS)
    assert count > 450
    assert findings.clean, findings.summary()
    assert findings.notices == 0, findings.notice_texts


def test_production_pipeline_with_images_allowed_only_uses_the_proxy(
    runs: dict[str, tuple[int, float, Findings]],
) -> None:
    """With remote images allowed, the only requests go to gpanel's proxy and attachment paths."""
    _, _, findings = runs["images"]
    assert findings.clean, findings.summary()


def test_positive_control_sees_live_payloads(runs: dict[str, tuple[int, float, Findings]]) -> None:
    """Both layers off: the harness detects every live payload (so a clean run means something)."""
    _, _, findings = runs["live-unprotected"]
    scripted = {i for i, p in enumerate(LIVE) if "alert" in p.html}
    assert scripted <= findings.executed, findings.summary()
    assert findings.flags >= 1, "the top-window flag payload was not seen"
    fetched = " ".join(url for _, url in findings.requests) + " ".join(findings.sink_hits)
    for path in ("/pixel.gif", "/bg.png", "/x.css", "/y.css", PROXY_PATH + "?u="):
        assert path in fetched, (path, findings.summary())
    assert findings.navigations, "the meta refresh was not seen"
    assert not findings.unrendered, findings.summary()
    _, _, corpus = runs["corpus-unprotected"]
    assert len(corpus.executed) > 20, "few corpus payloads ran unprotected: the harness is blind"


def test_frame_alone_stops_payloads(runs: dict[str, tuple[int, float, Findings]]) -> None:
    """Sanitiser off, sandbox + CSP on: no execution and no request, live set and corpus."""
    _, _, findings = runs["frame-only"]
    assert not findings.executed and not findings.dialogs and not findings.flags, findings.summary()
    assert not findings.console, findings.console
    # Requests the CSP refused are attempts (the browser reports them); none may get through.
    assert not findings.escaped and not findings.sink_hits, findings.summary()
    assert not findings.server_hits and not findings.navigations, findings.summary()
    assert not findings.unrendered, findings.summary()
    # A reader's click may open an http(s) link in a new tab; nothing else may open.
    opened = [
        u for u in findings.popups if not u.startswith(("http://", "https://", "chrome-error:"))
    ]
    assert not opened, findings.popups
    assert findings.notices > 0, "the frame refused nothing: were the payloads live?"


def test_sanitiser_alone_stops_payloads(runs: dict[str, tuple[int, float, Findings]]) -> None:
    """Sandbox and CSP off, sanitiser on: no execution and no request, live set and corpus."""
    _, _, findings = runs["sanitiser-only"]
    assert findings.clean, findings.summary()
