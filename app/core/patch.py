"""JSON merge patch bodies (RFC 7396): an absent field is kept, ``null`` clears one."""

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


class MergePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Fields whose column cannot be empty: null is refused rather than stored.
    not_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _refuse_null_where_required(self) -> Self:
        nulled = sorted(
            f for f in self.model_fields_set & self.not_null if getattr(self, f) is None
        )
        if nulled:
            raise ValueError(f"{', '.join(nulled)} cannot be null")
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The document says what the server takes: a field that cannot be cleared may be
        left out, but is not nullable (its `None` default only means "absent")."""
        json_schema = handler(core_schema)
        properties = handler.resolve_ref_schema(json_schema).get("properties", {})
        for name in cls.not_null:
            field = properties.get(name)
            if field is None:
                continue
            field.pop("default", None)
            branches = [b for b in field.get("anyOf", ()) if b != {"type": "null"}]
            if "anyOf" in field and len(branches) == 1:
                del field["anyOf"]
                field.update(branches[0])
            elif "anyOf" in field:
                field["anyOf"] = branches
        return json_schema

    def changes(self, *, exclude: frozenset[str] = frozenset({"citations"})) -> dict[str, Any]:
        """The fields the patch sets, as column values."""
        return self.model_dump(exclude_unset=True, exclude=set(exclude))
