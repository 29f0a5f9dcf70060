"""What some tests need from outside Python: the shared corpora and headless Chromium.

A test says what it needs with a mark: `pytest.mark.corpus("mime")` (a directory of the shared
corpora: `mime`, `xss`) or `pytest.mark.browser` (headless Chromium at `CHROMIUM`). When the
thing is missing the test is skipped with the reason, so a laptop without the corpora still
runs the rest; with GPANEL_TEST_REQUIRE_CORPORA=1 or GPANEL_TEST_REQUIRE_BROWSER=1 (CI sets
both, as it sets GPANEL_TEST_REQUIRE_POSTGRES) the same absence is a failure, so the tests
behind the product's safety claims cannot silently vanish.

The corpora sit beside the checkout (`../shared/corpora`, on CI's fresh clone too);
`/work/shared/corpora` is the fallback for a clone made elsewhere on this machine, and
GPANEL_TEST_CORPORA / GPANEL_TEST_CHROMIUM point elsewhere when set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_BESIDE = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
_DEFAULT_CORPORA = _BESIDE if _BESIDE.exists() else Path("/work/shared/corpora")
CORPORA = Path(os.environ.get("GPANEL_TEST_CORPORA") or _DEFAULT_CORPORA)
CHROMIUM = Path(os.environ.get("GPANEL_TEST_CHROMIUM") or "/usr/bin/chromium")

REQUIRE_CORPORA = "GPANEL_TEST_REQUIRE_CORPORA"
REQUIRE_BROWSER = "GPANEL_TEST_REQUIRE_BROWSER"

MARKERS = (
    "corpus(name): needs the shared corpus directory `name` (skipped when missing, a failure "
    f"with {REQUIRE_CORPORA}=1)",
)


def corpus(name: str) -> Path:
    return CORPORA / name


def missing(reason: str, switch: str) -> None:
    """Skip for `reason`, or fail when the switch says the thing is required."""
    if os.environ.get(switch) == "1":
        pytest.fail(f"{reason} ({switch}=1)", pytrace=False)
    pytest.skip(reason)


def check(item: pytest.Item) -> None:
    """Before a test runs: is everything its marks ask for there?"""
    for mark in item.iter_markers("corpus"):
        path = corpus(str(mark.args[0]))
        if not path.is_dir():
            missing(f"corpus not found at {path}", REQUIRE_CORPORA)
    if item.get_closest_marker("browser") is not None and not CHROMIUM.exists():
        missing(f"headless Chromium not found at {CHROMIUM}", REQUIRE_BROWSER)
