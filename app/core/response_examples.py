"""Examples beside the OpenAPI document's success responses (SPEC §5: every operation has
examples). Each is an answer the seeded API really gives, captured by
``app.tools.response_examples`` into ``app/api/response_examples.json`` and keyed by the
response's schema, so that a write shows the resource as its GET does."""

import json
from functools import cache
from pathlib import Path
from typing import Any

EXAMPLES_FILE = Path(__file__).resolve().parents[1] / "api" / "response_examples.json"
_SCHEMA_REF = "#/components/schemas/"


def example_key(path: str, media_type: str, content: dict[str, Any]) -> str:
    """Where a response's example is kept: a JSON body under its component schema's name,
    shared by every operation answering with it; an export under its path and type."""
    ref = content.get("schema", {}).get("$ref")
    if media_type == "application/json" and isinstance(ref, str) and ref.startswith(_SCHEMA_REF):
        return ref.removeprefix(_SCHEMA_REF)
    return f"{path} {media_type}"


@cache
def _examples() -> dict[str, Any]:
    examples: dict[str, Any] = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    return examples


def document_response_examples(schema: dict[str, Any]) -> None:
    """Show its captured example beside every success response that has one."""
    examples = _examples()
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            for code, response in operation.get("responses", {}).items():
                if not code.startswith("2"):
                    continue
                for media_type, content in response.get("content", {}).items():
                    key = example_key(path, media_type, content)
                    if key in examples:
                        content["example"] = examples[key]
