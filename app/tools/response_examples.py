"""The examples of the OpenAPI document's success responses, captured from the API itself:
``python -m app.tools.response_examples`` (needs the dev extras: it drives the app through
httpx) seeds a scratch SQLite database, asks every GET of /v1 with its parameters'
documented examples, and writes what each answers, by response schema, to
``app/api/response_examples.json``. ``app.core.response_examples`` shows each beside every
response of that schema, writes included (a PATCH answers what a GET shows).

Captured, never written by hand: every example is an answer the seed really gives, with
its verbatim quotes. tests/test_response_examples.py captures again from a fresh seed and
fails when the file no longer matches what the API answers."""

import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Protocol

from alembic import command
from alembic.config import Config
from sqlmodel import Session

from app.core.config import ROOT, get_settings
from app.core.db import make_engine
from app.core.response_examples import EXAMPLES_FILE, example_key
from app.importer import import_facts, load_file

# A list's example shows two items and the cursor to the next page, not the whole seed;
# an export (which streams every row, whatever the limit), its first lines.
LIST_LIMIT = 2


class Getter(Protocol):
    def get(self, url: str, *, params: dict[str, Any], headers: dict[str, str]) -> Any: ...


def capture(client: Getter) -> dict[str, Any]:
    """The seed's answer that shows each success response of the document's GETs: a JSON
    body by its schema's name (the first GET answering with it), an export by its path
    and media type. Each is asked with its parameters' documented examples; a company's
    paths, for the first company the answer has something for."""
    document = client.get("/openapi.json", params={}, headers={}).json()
    companies = client.get("/v1/companies", params={"limit": 200}, headers={}).json()["data"]
    examples: dict[str, Any] = {}
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        url, params = path, {}
        for parameter in operation.get("parameters", []):
            example = parameter.get("schema", {}).get("examples", [None])[0]
            if parameter["in"] == "path":
                url = url.replace("{" + parameter["name"] + "}", str(example))
            elif parameter["name"] == "limit":
                params["limit"] = LIST_LIMIT
            elif parameter.get("required"):
                params[parameter["name"]] = example
        for media_type, content in operation["responses"].get("200", {}).get("content").items():
            key = example_key(path, media_type, content)
            if key in examples:
                continue
            urls = [url]
            if path.startswith("/v1/companies/{slug}/"):
                # The documented company may have none of these (its plants, say): another may.
                example_slug = url.split("/")[3]
                urls += [url.replace(example_slug, c["slug"], 1) for c in companies]
            answers = [_answer(client, each, params, media_type) for each in urls]
            answered = [a for a in answers if a is not None]
            if not answered:
                raise SystemExit(f"GET {url} {params} {media_type}: never a 200")
            # An empty list where the seed has nothing to show (no statement is about a
            # partnership): a true answer still.
            examples[key] = next((a for a in answered if _shows_items(a, media_type)), answered[0])
    return dict(sorted(examples.items()))


def _answer(client: Getter, url: str, params: dict[str, Any], media_type: str) -> Any:
    """A GET's answer in ``media_type``: the body, parsed if JSON; None unless a 200."""
    response = client.get(url, params=params, headers={"Accept": media_type})
    if response.status_code != 200:
        return None
    if media_type == "application/json":
        return response.json()
    lines = response.text.splitlines(keepends=True)
    return "".join(lines[: LIST_LIMIT + (media_type == "text/csv")])


def _shows_items(answer: Any, media_type: str) -> bool:
    """Whether an answer shows something: not a list without items (a CSV's header line
    is no item)."""
    if isinstance(answer, str):
        return len(answer.splitlines()) > (media_type == "text/csv")
    return not (isinstance(answer, dict) and answer.get("data") == [])


def capture_from_seed(directory: Path) -> dict[str, Any]:
    """The examples, captured from the seed loaded into a new SQLite database in
    ``directory`` as ``autofacts migrate`` and ``autofacts seed`` load it (search's scores
    and snippets are SQLite's)."""
    # Imported here: a tool beside the service, driving it with what the dev extras install.
    from fastapi.testclient import TestClient

    from app.main import create_app

    url = f"sqlite:///{directory / 'examples.db'}"
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    engine = make_engine(url)
    try:
        seed_file = get_settings().seed_file
        with Session(engine) as session:
            import_facts(session, load_file(seed_file), actor=f"import:{seed_file.name}")
        with TestClient(create_app(engine)) as client:
            return capture(client)
    finally:
        engine.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        examples = capture_from_seed(Path(scratch))
    EXAMPLES_FILE.write_text(json.dumps(examples, indent=2, ensure_ascii=False) + "\n")
    print(f"{len(examples)} examples written to {EXAMPLES_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
