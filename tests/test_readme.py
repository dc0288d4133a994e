"""The README and docs/ stay true: every setting and route group documented where a reader
looks for it, nothing documented that does not exist, every link leading somewhere."""

import re
from pathlib import Path

import pytest

from app.core.config import ROOT, Settings
from app.main import create_app

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
# [text](target): targets that are not URLs are files of the repository, maybe #anchored.
LINK = re.compile(r"\]\(([^)\s]+)\)")
SETTING_ROW = re.compile(r"^\| `AUTOFACTS_([A-Z0-9_]+)` \|", re.M)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a page's headings."""
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", _text(path), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", ""))
        anchors.add(slug.replace(" ", "-"))
    return anchors


def test_the_readme_is_short() -> None:
    assert len(_text(README).splitlines()) <= 150


def test_every_docs_page_is_linked_from_the_readme() -> None:
    assert PAGES
    for page in PAGES:
        assert f"]({page.relative_to(ROOT).as_posix()})" in _text(README), page.name


@pytest.mark.parametrize("page", [README, *PAGES], ids=lambda p: p.name)
def test_links_lead_to_files_and_headings_of_the_repository(page: Path) -> None:
    for target in LINK.findall(_text(page)):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor:
            assert anchor in _anchors(linked), f"{page.name}: {target}"


def test_every_setting_has_a_row_in_the_operations_settings_table() -> None:
    operations = _text(DOCS / "operations.md")
    for name in Settings.model_fields:
        assert f"| `AUTOFACTS_{name.upper()}` |" in operations, name


def test_every_setting_documented_is_a_setting() -> None:
    documented = SETTING_ROW.findall(_text(DOCS / "operations.md"))
    assert documented
    for name in documented:
        assert name.lower() in Settings.model_fields, f"AUTOFACTS_{name}"


def test_every_collection_is_named_in_the_api_page() -> None:
    api = _text(DOCS / "api.md")
    prefixes = {
        "/".join(path.split("/")[:3])
        for path in create_app().openapi()["paths"]
        if path.startswith("/v1/")
    }
    assert len(prefixes) >= 9
    for prefix in prefixes:
        assert prefix in api, prefix
