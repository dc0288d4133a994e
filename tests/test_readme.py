"""The README stays true: every setting is documented, and so is every route group."""

from app.core.config import ROOT, Settings
from app.main import create_app

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_has_a_row_in_the_configuration_table() -> None:
    for name in Settings.model_fields:
        assert f"| `AUTOFACTS_{name.upper()}` |" in README, name


def test_every_collection_is_named_in_the_readme() -> None:
    prefixes = {
        "/".join(path.split("/")[:3])
        for path in create_app().openapi()["paths"]
        if path.startswith("/v1/")
    }
    assert len(prefixes) >= 9
    for prefix in prefixes:
        assert prefix in README, prefix
