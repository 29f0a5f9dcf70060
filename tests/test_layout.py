"""The house stays readable (issue 9): no module of gpanel over 400 lines, no package with more
than 16 modules beside its `__init__`, and every package's `__init__` says what it holds. When
one of these fails, split by concept (a subpackage), not by cutting a file in two."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "gpanel"
MAX_LINES = 400
MAX_MODULES = 16


def _packages() -> list[Path]:
    return sorted(p.parent for p in ROOT.rglob("__init__.py") if "__pycache__" not in p.parts)


def test_no_module_is_over_400_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in ROOT.rglob("*.py")
        if "versions" not in p.parts and (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_no_package_holds_more_than_16_modules() -> None:
    crowded = {
        str(d.relative_to(ROOT)): n
        for d in _packages()
        if "versions" not in d.parts
        and (n := len([p for p in d.glob("*.py") if p.name != "__init__.py"])) > MAX_MODULES
    }
    assert crowded == {}


def test_every_package_says_what_it_holds() -> None:
    silent = [
        str(d.relative_to(ROOT))
        for d in _packages()
        if not ast.get_docstring(ast.parse((d / "__init__.py").read_text()))
    ]
    assert silent == []
