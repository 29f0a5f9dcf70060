"""The repository stands alone: code, tests, benchmarks and docs cite only files inside it.

gpanel once cited product notes and a Gmail fact sheet that lived outside the repository, so a
reader of a fresh clone met references to files they could not open. The Gmail facts are now
docs/gmail-facts.md and the product rules docs/behaviour.md; this test keeps it that way: no
path into the shared workspace other than the test corpora, no bare name of a notes file, and
every cited `docs/*.md` (and every quoted section of the two citable documents) exists.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("gpanel", "tests", "bench", "docs")
SUFFIXES = {".py", ".md", ".html", ".js", ".css", ".toml", ".txt", ".ini", ".cfg", ""}
HERE = Path(__file__).resolve()

# Spelled in pieces so this file does not match itself.
SHARED_DIR = "shared" + "/"
OUTSIDE = re.compile(re.escape(SHARED_DIR) + r"(?!corpora\b)\w+")
PRODUCT_NOTES = re.compile(r"(?<![\w/.-])" + "product" + r"\.md\b")
FACTS = re.compile(r"(?<![\w/.-])" + "gmail-facts" + r"\.md\b")
CITED_DOC = re.compile(r"\bdocs/([\w.-]+\.md)\b")
CITED_SECTION = re.compile(r"\bdocs/(behaviour|gmail-facts)\.md\)?[,:]?\s*\(?\"([^\"]+)\"")


def texts() -> list[tuple[Path, str]]:
    out = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            if not path.is_file() or path.resolve() == HERE or "__pycache__" in path.parts:
                continue
            if path.suffix not in SUFFIXES:
                continue
            out.append((path, path.read_text(encoding="utf-8", errors="replace")))
    readme = ROOT / "README.md"
    out.append((readme, readme.read_text(encoding="utf-8")))
    return out


def findings(pattern: re.Pattern[str], *, outside_docs: bool = False) -> list[str]:
    found = []
    for path, text in texts():
        rel = path.relative_to(ROOT)
        if outside_docs and rel.parts[0] == "docs":
            continue  # inside docs/ a bare name is a relative link to docs/ itself
        for n, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    return found


def headings(doc: str) -> set[str]:
    text = (ROOT / "docs" / doc).read_text(encoding="utf-8")
    return {m.group(1).strip() for m in re.finditer(r"^#+\s+(.+)$", text, re.M)}


def test_nothing_names_a_file_outside_the_repository_but_the_corpora() -> None:
    """No path into the shared workspace except the test corpora, anywhere in the tree."""
    assert findings(OUTSIDE) == []
    # The pattern does catch what it should, and lets the corpora through.
    assert OUTSIDE.search("see " + SHARED_DIR + "spec/x.md")
    assert not OUTSIDE.search("../" + SHARED_DIR + "corpora/mime")


def test_notes_are_cited_by_their_place_in_docs() -> None:
    """Gmail facts are cited as docs/gmail-facts.md; product rules never by a notes file."""
    assert findings(PRODUCT_NOTES) == []
    assert findings(FACTS, outside_docs=True) == []
    assert FACTS.search("(" + "gmail-facts" + ".md, quota)")
    assert not FACTS.search("docs/" + "gmail-facts" + ".md")


def test_every_cited_doc_and_section_exists() -> None:
    """Each `docs/X.md` named in the tree exists, and each quoted section of behaviour.md and
    gmail-facts.md is a heading of that file (citations survive a renamed heading only if
    they are updated with it)."""
    known = {"behaviour": headings("behaviour.md"), "gmail-facts": headings("gmail-facts.md")}
    missing_docs, missing_sections, cited = [], [], 0
    for path, text in texts():
        rel = path.relative_to(ROOT)
        for m in CITED_DOC.finditer(text):
            if not (ROOT / "docs" / m.group(1)).is_file():
                missing_docs.append(f"{rel}: docs/{m.group(1)}")
        # A citation may wrap across lines of a docstring or a comment.
        flat = re.sub(r"\s*\n\s*(?:#\s*)?", " ", text)
        for m in CITED_SECTION.finditer(flat):
            cited += 1
            if m.group(2) not in known[m.group(1)]:
                missing_sections.append(f'{rel}: docs/{m.group(1)}.md "{m.group(2)}"')
    assert missing_docs == []
    assert missing_sections == []
    assert cited >= 20  # the citations were found at all
