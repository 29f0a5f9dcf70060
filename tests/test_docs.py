"""The docs stay true to the code: docs/ARCHITECTURE.md's layout table names exactly the packages
and top-level modules under gpanel/, each imports nothing beyond its "may import" cell, and every
module path or dotted name the docs mention exists (the way the settings test keeps .env.example
true).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
READMES = [ROOT / "README.md", ROOT / "bench" / "README.md"]
# procrastinate task names, spelled like modules; they must stay what jobs/queue.py registers.
TASK_NAMES = {"gpanel.tick", "gpanel.mailbox_job"}
PACKAGE_DIRS = ("services", "web", "jobs", "gmail", "crm", "mail", "store", "emulator", "demo")


def layout_table() -> dict[str, tuple[str, str]]:
    """The Layout section's rows: first cell (a path under gpanel/) -> (owns, may import)."""
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in section.splitlines():
        row = re.fullmatch(r"\| `(gpanel/[^`]*)` \| (.+) \| ([^|]+) \|", line)
        if row:
            assert row[1] not in rows, f"{row[1]} has two rows"
            rows[row[1]] = (row[2], row[3])
    return rows


def existing_packages() -> set[str]:
    return {
        p.parent.relative_to(ROOT).as_posix() + "/"
        for p in (ROOT / "gpanel").rglob("__init__.py")
        if p.parent != ROOT / "gpanel"
    }


def test_layout_table_names_exactly_the_packages_that_exist() -> None:
    """Every directory under gpanel/ with an __init__.py has a row, and no row names a package
    that is gone."""
    named = {path for path in layout_table() if path.endswith("/")}
    assert named == existing_packages()


def test_layout_table_names_exactly_the_top_level_modules() -> None:
    """Every module directly in gpanel/ (cli.py, app.py, ...) has a row, and no other."""
    named = {path for path in layout_table() if path.endswith(".py")}
    present = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "gpanel").glob("*.py")
        if p.stem != "__init__"
    }
    assert named == present


@pytest.mark.parametrize("package", sorted(existing_packages()))
def test_every_package_says_what_it_owns(package: str) -> None:
    """Each package's __init__.py opens with a docstring naming what it owns."""
    source = (ROOT / package / "__init__.py").read_text(encoding="utf-8")
    assert ast.get_docstring(ast.parse(source)), f"{package}__init__.py has no docstring"


def _names(cell: str) -> set[str]:
    return {"gpanel." + name for name in re.findall(r"`([a-z_.]+)`", cell)}


def _within(module: str, names: set[str]) -> bool:
    return any(module == n or module.startswith(n + ".") for n in names)


@cache
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("gpanel", cache_dir=None)  # no cache files in the work tree


def test_each_row_imports_only_what_its_may_import_cell_allows() -> None:
    """Direct imports out of each package (or top-level module) stay within its "may import"
    cell, and none reaches a name the cell says it never imports."""
    rows = layout_table()
    owners = {
        path.removesuffix(".py").removesuffix("/").replace("/", "."): cell
        for path, (_, cell) in rows.items()
    }
    graph = _graph()
    problems = []
    for module in sorted(graph.modules):
        owner = max((o for o in owners if _within(module, {o})), key=len, default=None)
        if owner is None or owners[owner] == "everything":
            continue
        allowed_part, _, never_part = owners[owner].partition("never")
        allowed, never = _names(allowed_part), _names(never_part)
        for imported in graph.find_modules_directly_imported_by(module):
            if _within(imported, {owner}):
                continue  # its own modules and subpackages
            if not _within(imported, allowed) or _within(imported, never):
                problems.append(f"{module} imports {imported}, not in {owner}'s row")
    assert problems == []


def _top_level_names(path: Path) -> dict[str, ast.AST]:
    out: dict[str, ast.AST] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            out.update({t.id: node for t in targets if isinstance(t, ast.Name)})
        elif isinstance(node, ast.ImportFrom | ast.Import):
            out.update({(a.asname or a.name).split(".")[0]: node for a in node.names})
    return out


def resolves(dotted: str) -> bool:
    """A dotted name is a module, or a module and a name defined in it (and a class member)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:cut])
        source = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        if not source.is_file():
            continue
        rest = parts[cut:]
        if not rest:
            return True
        names = _top_level_names(source)
        if rest[0] not in names:
            return False
        node = names[rest[0]]
        if len(rest) == 1:
            return True
        return isinstance(node, ast.ClassDef) and any(
            getattr(n, "name", None) == rest[1] for n in node.body
        )
    return False


def mentioned_paths(text: str) -> set[str]:
    """Repository paths the text names: gpanel/, tests/ and bench/ files and directories, and
    package paths written from gpanel/ down (`services/labels/run.py`)."""
    found = set(re.findall(r"(?<![\w/.])((?:gpanel|tests|bench)/[\w/]*\w(?:\.py|/))", text))
    inner = "|".join(PACKAGE_DIRS)
    found |= {"gpanel/" + p for p in re.findall(rf"`((?:{inner})/[\w/]*\w(?:\.py|/))`", text)}
    return found


@pytest.mark.parametrize("doc", DOCS + READMES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_path_the_docs_name_exists(doc: Path) -> None:
    """Each gpanel/..., tests/... or bench/... path in a doc is a file or directory that exists."""
    missing = sorted(
        p for p in mentioned_paths(doc.read_text(encoding="utf-8")) if not (ROOT / p).exists()
    )
    assert missing == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_dotted_name_the_docs_use_exists(doc: Path) -> None:
    """Each `gpanel.x.y` (or `tests.x.y`, or `services.x.y` from gpanel down) name in docs/ is a
    module, or a name defined in one."""
    text = doc.read_text(encoding="utf-8")
    dotted = set(re.findall(r"(?<![\w.])((?:gpanel|tests)(?:\.[A-Za-z_]\w*)+)", text))
    # Written from gpanel down (`services.sharing`); not gmail. or mail., which also begin scopes
    # and host names.
    inner = "|".join(p for p in PACKAGE_DIRS if p not in ("gmail", "mail"))
    dotted |= {"gpanel." + d for d in re.findall(rf"`((?:{inner})(?:\.[A-Za-z_]\w*)+)", text)}
    assert sorted(d for d in dotted - TASK_NAMES if not resolves(d)) == []


def test_task_names_the_docs_use_are_registered() -> None:
    """The names exempted above as task names are the ones jobs/queue.py registers."""
    queue = (ROOT / "gpanel" / "jobs" / "queue.py").read_text(encoding="utf-8")
    assert all(f'"{name}"' in queue for name in TASK_NAMES)


def test_the_checks_catch_a_stale_path_and_name() -> None:
    """The checks above can fail: an old module path and an old dotted name are reported."""
    assert mentioned_paths("see `services/labels_run.py` and gpanel/services/policy.py") == {
        "gpanel/services/labels_run.py",
        "gpanel/services/policy.py",
    }
    assert not (ROOT / "gpanel/services/labels_run.py").exists()
    assert resolves("gpanel.services.labels.run.run_labels")
    assert not resolves("gpanel.services.labels_run.run_labels")
    assert not resolves("gpanel.services.labels.run.no_such_function")
