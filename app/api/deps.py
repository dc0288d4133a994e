"""Dependencies shared by the routers."""

from typing import Annotated

from fastapi import Depends, Path

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
CountryCode = Annotated[str, "ISO 3166-1 alpha-2"]
