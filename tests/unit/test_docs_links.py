"""The README and docs/ stand alone: every relative link leads to something in the repository.

A newcomer reads the repository as cloned, nothing beside it; a link to a file that is not
there, or to a path outside the repository (``../shared/...``), is a dead end for them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_INLINE = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
_HTML = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:


def links(text: str) -> list[str]:
    """The targets of a Markdown document's links and images, outside code."""
    prose = _CODE.sub("", _FENCE.sub("", text))
    return [*_INLINE.findall(prose), *_REFERENCE.findall(prose), *_HTML.findall(prose)]


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives a document's headings: lower case, punctuation dropped,
    spaces to hyphens, a repeated heading numbered ``-1``, ``-2``..."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_FENCE.sub("", text)):
        plain = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
        slug = re.sub(r"[^\w\- ]", "", plain).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def problem_with(document: Path, target: str) -> str | None:
    """Why ``target``, linked from ``document``, is not a link a clone can follow (or None)."""
    if _EXTERNAL.match(target):
        return None
    path, _, anchor = target.partition("#")
    if path.startswith("/"):
        return "an absolute path: link relative to the document"
    resolved = (document.parent / path).resolve() if path else document
    if not resolved.is_relative_to(ROOT):
        return "leaves the repository"
    if not resolved.exists():
        return "no such file or folder in the repository"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text()):
        return f"no heading gives the anchor #{anchor}"
    return None


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(ROOT)))
def test_every_relative_link_leads_to_something_in_the_repository(document: Path):
    text = document.read_text()
    broken = [
        f"{target}: {why}"
        for target in links(text)
        if (why := problem_with(document, target)) is not None
    ]
    assert broken == []


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: str(d.relative_to(ROOT)))
def test_nothing_points_at_the_workspace_outside_the_repository(document: Path):
    # Not even as text: a newcomer's clone has no ../shared beside it.
    assert "../shared" not in document.read_text()


def test_the_docs_index_and_the_design_documents_are_there():
    names = {d.name for d in DOCUMENTS}
    assert {"architecture.md", "glossary.md", "contracts.md", "figures.md"} <= names
    assert "README.md" in {d.name for d in (ROOT / "docs").glob("*.md")}


def test_the_checker_catches_what_it_is_for():
    # The rules above would pass on anything if the parsing found no links: show it does.
    text = (
        "See [the map](../shared/DESIGN.md), ![a](docs/nope.png), [ok](README.md#skillcard),\n"
        "[bad anchor](README.md#no-such-heading), [web](https://example.org/x) and\n"
        "`[not a link](nowhere.md)`.\n\n[ref]: /etc/passwd\n"
    )
    found = links(text)
    assert found == [
        "../shared/DESIGN.md",
        "docs/nope.png",
        "README.md#skillcard",
        "README.md#no-such-heading",
        "https://example.org/x",
        "/etc/passwd",
    ]
    readme = ROOT / "README.md"
    assert problem_with(readme, "../shared/DESIGN.md") == "leaves the repository"
    assert problem_with(readme, "docs/nope.png") == "no such file or folder in the repository"
    assert problem_with(readme, "README.md#skillcard") is None
    assert problem_with(readme, "README.md#no-such-heading").startswith("no heading")
    assert problem_with(readme, "https://example.org/x") is None
    assert problem_with(readme, "/etc/passwd").startswith("an absolute path")
    assert anchors("# A: b's c\n## Same\n## Same\n") == {"a-bs-c", "same", "same-1"}
