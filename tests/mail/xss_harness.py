"""A headless-Chromium harness that renders HTML payloads and records anything they manage to do.

Two local HTTP servers run on 127.0.0.1: the host, which serves pages of up to `BATCH` iframes
(each one payload, in the frame gpanel builds) and the attachment/proxy image paths; and a
sink that answers every request and records it. Remote hosts written in payloads are rewritten
to the sink, and `alert(`/`prompt(`/`confirm(` calls are prefixed with a `console.log` of the
payload's number, so execution is attributed even inside a frame that forbids dialogs.

Chromium resolves no name but 127.0.0.1 (`--host-resolver-rules`), so nothing leaves the
machine even if a payload escapes. A page counts as a failure on: any request other than the
host page, `data:` URLs and (when images are allowed) gpanel's own image paths; any hit on the
sink; any dialog; any console message the page's own code emits; any frame navigating away
from its document; any popup; or `window.__xss` set on the host page.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Frame,
    Page,
    Request,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError

from tests.support.needs import CHROMIUM

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
BATCH = 100
SETTLE_MS = 300
CRASH_RETRIES = 2  # fresh browsers a page gets after Chromium dies under it
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
MARK = 900_000

# Browser-generated console messages (sandbox and CSP refusals, failed loads) say the layers
# worked; they are counted, not failed, in the control runs.
_BROWSER_NOTICE = re.compile(
    r"^(Blocked |Refused to |Ignored call to |Failed to load resource|Unsafe attempt|"
    r"Not allowed to |The Content Security Policy|Error while parsing|Unrecognized feature|"
    r"Blocked autofocusing|Loading |Framing |Executing inline |Applying inline |"
    r"Navigation |'javascript' URLs may not|Uncaught)",
)


@dataclass(frozen=True)
class Payload:
    source: str  # corpus file and index, for failure messages
    html: str
    trigger: str = ""


def load_payloads(root: Path) -> list[Payload]:
    """Every payload of the XSS corpora: DOMPurify, H5SC, OWASP and bleach's test inputs."""
    payloads: list[Payload] = []
    for name in ("dompurify.json", "owasp.json"):
        for i, item in enumerate(json.loads((root / name).read_text(encoding="utf-8"))):
            payloads.append(Payload(f"{name}#{i}", str(item)))
    for item in json.loads((root / "h5sc.json").read_text(encoding="utf-8")):
        payloads.append(
            Payload(f"h5sc.json#{item['id']}", str(item["data"]), str(item.get("trigger") or ""))
        )
    for path in sorted((root / "bleach").glob("*.test")):
        text = path.read_text(encoding="utf-8", errors="replace")
        payloads.append(Payload(f"bleach/{path.name}", re.split(r"(?m)^--\s*$", text)[0]))
    return payloads


_ABSOLUTE = re.compile(r"(?i)(?<![a-z])https?://[a-z0-9_.\-]+(?::\d+)?")
_RELATIVE = re.compile(r"(?i)(?<![a-z0-9:/])//[a-z0-9_\-]+\.[a-z0-9_.\-]+(?::\d+)?")
_DIALOG_CALL = re.compile(r"\b(alert|prompt|confirm)\(")


def instrument(payload: str, index: int, sink: str) -> str:
    """Remote hosts pointed at the sink; dialog calls made to log the payload's number first."""
    text = _ABSOLUTE.sub(sink, payload)
    text = _RELATIVE.sub(sink, text)
    return _DIALOG_CALL.sub(lambda m: f"(console.log({MARK + index}),{m.group(1)})(", text)


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, str] | None) -> None:
        self.pages = pages if pages is not None else {}
        self.hits: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Recorder

    def do_GET(self) -> None:
        self.server.hits.append(self.path)
        page = self.server.pages.get(self.path)
        if page is not None:
            body, ctype = page.encode("utf-8"), "text/html; charset=utf-8"
        elif self.path.startswith(("/mail/img/", "/mail/att/", "/favicon.ico")):
            body, ctype = PNG_1X1, "image/png"
        else:
            body, ctype = b"", "text/plain"
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        return


@dataclass
class Findings:
    executed: set[int] = field(default_factory=set)  # payload numbers whose code ran
    requests: list[tuple[str, str]] = field(default_factory=list)  # (frame, url)
    sink_hits: list[str] = field(default_factory=list)
    server_hits: list[str] = field(default_factory=list)  # host paths other than pages/images
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)  # messages from page code
    notices: int = 0  # browser refusals (sandbox, CSP): the layers at work
    navigations: list[tuple[str, str]] = field(default_factory=list)
    popups: list[str] = field(default_factory=list)  # URLs of windows the payloads opened
    escaped: list[str] = field(default_factory=list)  # requests that got a response
    notice_texts: list[str] = field(default_factory=list)
    flags: int = 0  # pages where window.__xss was set
    # Pages whose "load" never fired in time; reported, not failed: everything else is still
    # checked on them, and a slow page is not a payload doing something.
    timeouts: list[str] = field(default_factory=list)
    triggered: int = 0  # user-gesture triggers that ran in their frame
    crashes: list[str] = field(default_factory=list)  # pages during which Chromium died
    unrendered: list[str] = field(default_factory=list)  # pages that never rendered to the end

    @property
    def clean(self) -> bool:
        return not (
            self.executed
            or self.requests
            or self.sink_hits
            or self.dialogs
            or self.console
            or self.navigations
            or self.popups
            or self.flags
            or self.escaped
            or self.server_hits
            or self.unrendered
        )

    def summary(self) -> str:
        return (
            f"executed={sorted(self.executed)[:20]} requests={self.requests[:5]} "
            f"sink={self.sink_hits[:5]} dialogs={self.dialogs[:5]} console={self.console[:5]} "
            f"navigations={self.navigations[:5]} popups={self.popups[:5]} flags={self.flags} "
            f"escaped={self.escaped[:5]} server={self.server_hits[:5]} "
            f"timeouts={self.timeouts} crashes={self.crashes} unrendered={self.unrendered}"
        )


# A frame builder turns (instrumented payload, host origin) into an iframe element.
FrameBuilder = Callable[[str, str], str]


def host_page(frames: Iterable[tuple[int, str]]) -> str:
    """A host page without any script: one named iframe per payload."""
    return (
        "<!DOCTYPE html><html><head><title>xss harness</title></head><body>"
        + "".join(frame.replace("<iframe ", f'<iframe name="p{i}" ', 1) for i, frame in frames)
        + "</body></html>"
    )


def plain_iframe(srcdoc: str) -> str:
    """An iframe with no sandbox at all (for the controls)."""
    return f'<iframe srcdoc="{html.escape(srcdoc, quote=True)}"></iframe>'


async def run(
    payloads: list[Payload],
    build: FrameBuilder,
    *,
    allowed_paths: tuple[str, ...] = (),
    batch: int = BATCH,
) -> Findings:
    """Render every payload through `build` in Chromium and collect what they managed to do."""
    findings = Findings()
    pages: dict[str, str] = {}
    host = _Recorder(pages)
    sink = _Recorder(None)
    for server in (host, sink):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        async with async_playwright() as pw:

            async def launch() -> Browser:
                return await pw.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )

            browser = await launch()
            try:
                for start in range(0, len(payloads), batch):
                    chunk = list(enumerate(payloads))[start : start + batch]
                    frames = [
                        (i, build(instrument(p.html, i, sink.origin), host.origin))
                        for i, p in chunk
                    ]
                    path = f"/page/{start}"
                    pages[path] = host_page(frames)
                    # Chromium itself (not a tab) sometimes segfaults while rendering the
                    # unprotected controls on a loaded machine, taking every later page with
                    # it. Such a page is rendered again in a fresh browser; one that never
                    # renders to the end is reported, and fails any run that must be clean.
                    for _attempt in range(CRASH_RETRIES + 1):
                        if not browser.is_connected():
                            browser = await launch()
                        try:
                            await _visit(
                                browser, host.origin + path, chunk, allowed_paths, host, findings
                            )
                        except PlaywrightError:
                            if browser.is_connected():
                                raise
                        if browser.is_connected():
                            break
                        findings.crashes.append(path)
                    else:
                        findings.unrendered.append(path)
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(browser.close(), 20)
    finally:
        for server in (host, sink):
            server.shutdown()
            server.server_close()
    findings.sink_hits = list(sink.hits)
    findings.server_hits = [
        hit
        for hit in host.hits
        if not hit.startswith(("/page/", "/favicon.ico"))
        and not any(hit.startswith(p) for p in allowed_paths)
    ]
    return findings


async def _visit(
    browser: Browser,
    url: str,
    chunk: list[tuple[int, Payload]],
    allowed_paths: tuple[str, ...],
    host: _Recorder,
    findings: Findings,
) -> None:
    context = await browser.new_context(java_script_enabled=True)
    page: Page = await context.new_page()
    marker = re.compile(rf"{MARK // 1000}\d{{3}}")

    def on_request(request: Request) -> None:
        target = request.url
        if (
            target == url
            or target.startswith(("data:", "about:"))
            or target.endswith("/favicon.ico")
        ):
            return
        if any(target.startswith(host.origin + p) for p in allowed_paths):
            return
        findings.requests.append((request.frame.name, target[:200]))

    def on_response(response: Any) -> None:
        # A response means the request really left the page (CSP-refused ones never get one).
        target = response.url
        if target == url or target.startswith("data:") or target.endswith("/favicon.ico"):
            return
        if any(target.startswith(host.origin + p) for p in allowed_paths):
            return
        findings.escaped.append(target[:200])

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if message.type == "log" and marker.fullmatch(text.strip()):
            findings.executed.add(int(text) - MARK)  # an instrumented payload ran
        elif message.type in ("error", "warning") and _BROWSER_NOTICE.match(text):
            findings.notices += 1  # the browser refused something: a layer at work
            findings.notice_texts.append(text[:300])
        else:
            findings.console.append(f"{message.type}: {text[:200]}")

    pending: set[asyncio.Task[None]] = set()

    def on_dialog(dialog: Dialog) -> None:
        findings.dialogs.append(dialog.message[:100])
        task = asyncio.ensure_future(dialog.dismiss())
        pending.add(task)
        task.add_done_callback(pending.discard)

    def on_navigated(frame: Frame) -> None:
        if frame is page.main_frame:
            if frame.url != url:
                findings.navigations.append(("top", frame.url[:200]))
            return
        # chrome-error:// is the page Chromium shows for a load it refused (CSP frame-src).
        if frame.url not in ("about:srcdoc", "about:blank", "") and not frame.url.startswith(
            "chrome-error://"
        ):
            findings.navigations.append((frame.name, frame.url[:200]))

    def on_popup(popup: Page) -> None:
        findings.popups.append(popup.url[:200])
        popup.on("dialog", on_dialog)
        popup.on("console", on_console)

    page.on("request", on_request)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("dialog", on_dialog)
    page.on("framenavigated", on_navigated)
    context.on("page", on_popup)
    # An unprotected payload may block "load" forever (dialog storms, endless loads): the
    # harness waits a bounded time, since what it looks for has happened by then or never.
    try:
        await page.goto(url, wait_until="domcontentloaded", timeout=30_000)
        await page.wait_for_load_state("load", timeout=20_000)
    except Exception:
        findings.timeouts.append(url)
    await page.wait_for_timeout(SETTLE_MS)
    by_name = {f"p{i}": p for i, p in chunk}
    for frame in page.frames:
        payload = by_name.get(frame.name)
        # Triggers stand in for a reader's gesture (a click, a focus). Those that assign
        # `location` navigate by themselves, which would be the harness acting, not the payload.
        if payload is None or not payload.trigger or "location" in payload.trigger:
            continue
        try:  # a trigger is the user's gesture the payload waits for; errors are expected
            await asyncio.wait_for(frame.evaluate(f"() => {{ {payload.trigger} }}"), 1)
            findings.triggered += 1
        except Exception:
            pass
    await page.wait_for_timeout(SETTLE_MS // 2)
    findings.flags += await _host_flag(page)
    with contextlib.suppress(Exception):  # a payload may have closed or crashed its page
        await asyncio.wait_for(context.close(), 10)


async def _host_flag(page: Any) -> int:
    """1 if a payload reached the host page: set its flag, replaced it, or hung it. A slow
    answer is asked again (a loaded CI machine can take seconds to evaluate) before it counts
    as a hang: 4 tries of 5 s each."""
    for _ in range(4):
        try:
            reached = await asyncio.wait_for(page.evaluate("() => window.__xss !== undefined"), 5)
        except TimeoutError:
            continue
        except Exception:
            return 1  # the host page was replaced or closed
        return 1 if reached else 0
    return 1  # hangs
