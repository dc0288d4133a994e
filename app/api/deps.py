"""Dependencies shared by the routers."""

import re
from typing import Annotated

from fastapi import Depends, Path, Request

from app.core.errors import InvalidParameter
from app.core.pagination import PageParams, page_params

PageDep = Annotated[PageParams, Depends(page_params)]

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"

CompanySlug = Annotated[
    str,
    Path(
        max_length=100,
        pattern=SLUG_PATTERN,
        description="The company's slug.",
        examples=["nissan"],
    ),
]


def reject_control_characters(request: Request) -> None:
    """Refuse NUL and other control characters in query parameters: PostgreSQL cannot
    store or compare NUL, and no real filter value contains one."""
    for name, value in request.query_params.multi_items():
        if _CONTROL.search(value):
            raise InvalidParameter(
                "Query parameters may not contain control characters.", loc=["query", name]
            )


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
