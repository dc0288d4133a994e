"""JSON merge patch bodies (RFC 7396): an absent field is kept, ``null`` clears one."""

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, model_validator


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

    def changes(self, *, exclude: frozenset[str] = frozenset({"citations"})) -> dict[str, Any]:
        """The fields the patch sets, as column values."""
        return self.model_dump(exclude_unset=True, exclude=set(exclude))
