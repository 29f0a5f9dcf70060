"""The switches that make CI fail instead of skip when a corpus or Chromium is missing.

Each case runs one real marked test of the suite in a child pytest, with the corpus directory
or the Chromium path pointed at nothing: without the switch the test is skipped with the
reason; with GPANEL_TEST_REQUIRE_CORPORA=1 / GPANEL_TEST_REQUIRE_BROWSER=1 the run fails and
names the switch. The check happens before any fixture, so these runs are quick.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS_TEST = (
    "tests/emulator/mime/test_payload.py::test_every_corpus_message_renders_without_raising"
)
BROWSER_TEST = "tests/web/accounts/test_browser_connect.py"
SWITCHES = ("GPANEL_TEST_REQUIRE_CORPORA", "GPANEL_TEST_REQUIRE_BROWSER")


def run(target: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    clean.update(
        GPANEL_TEST_CORPORA=str(tmp_path / "no-corpora"),
        GPANEL_TEST_CHROMIUM=str(tmp_path / "no-chromium"),
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rs", target],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("target", "switch", "reason"),
    [
        (CORPUS_TEST, "GPANEL_TEST_REQUIRE_CORPORA", "corpus not found at"),
        (BROWSER_TEST, "GPANEL_TEST_REQUIRE_BROWSER", "headless Chromium not found at"),
    ],
)
def test_missing_is_a_skip_without_the_switch_and_a_failure_with_it(
    target: str, switch: str, reason: str, tmp_path: Path
) -> None:
    """Missing: skipped with the reason by default; failed, naming the switch, when required."""
    skipped = run(target, tmp_path)
    assert skipped.returncode == 0, skipped.stdout[-2000:]
    assert "skipped" in skipped.stdout and reason in skipped.stdout
    assert "failed" not in skipped.stdout and "error" not in skipped.stdout

    required = run(target, tmp_path, **{switch: "1"})
    assert required.returncode == 1, required.stdout[-2000:]
    assert f"{switch}=1" in required.stdout and reason in required.stdout
    assert "skipped" not in required.stdout


def test_every_browser_and_corpus_test_carries_its_mark() -> None:
    """A test module that launches Chromium is marked `browser` and takes the path from
    tests.support.needs; one that reads a corpus is marked `corpus(...)`. So the switches reach
    every such test, including ones added later."""
    here = Path(__file__).resolve()
    modules = sorted(p for p in (ROOT / "tests").rglob("test_*.py") if p.resolve() != here)
    browser = [
        p
        for p in modules
        if re.search(r"executable_path=|tests\.mail\.xss_harness", p.read_text(encoding="utf-8"))
    ]
    corpus = [
        p
        for p in modules
        if re.search(
            r"from tests\.mail\.corpus import .*\b(MIME|XSS|corpus_messages)\b",
            p.read_text(encoding="utf-8"),
        )
    ]
    assert len(browser) >= 5 and len(corpus) >= 4  # the scan finds them at all
    unmarked = [p for p in browser if "pytest.mark.browser" not in p.read_text(encoding="utf-8")]
    own_path = [p for p in browser if 'Path("/usr/bin/chromium")' in p.read_text(encoding="utf-8")]
    unmarked += [p for p in corpus if "pytest.mark.corpus(" not in p.read_text(encoding="utf-8")]
    assert [str(p.relative_to(ROOT)) for p in unmarked + own_path] == []
