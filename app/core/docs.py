"""The interactive docs as served: Swagger UI and ReDoc from the copies of their bundles
fastapi_offline ships, loading nothing from another origin.

Two defaults of those bundles reach out on their own, whatever the options FastAPI passes;
the docs' CSP (app/core/security_headers.py) blocks them, but a proxy may change that
header, and a blocked load is still a console error:

- Swagger UI shows a badge fetched from validator.swagger.io for a document that is not
  on localhost: its ``validatorUrl`` is turned off (``SWAGGER_UI_PARAMETERS``).
- ReDoc 2 draws "API docs by Redocly" with its logo from cdn.redoc.ly, and no option of
  the bundle hides it (``hideLogo`` is only in its configuration schema, never read): its
  bundle is served from here with that one address replaced by an empty image.
"""

from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse, Response

SWAGGER_UI_PARAMETERS = {"validatorUrl": None}
STATIC_URL = "/static-offline-docs"  # fastapi_offline's mount of its bundles
REDOC_URL = "/redoc"
REDOC_JS = "/redoc/redoc.standalone.js"
_REDOC_BUNDLE = Path(fastapi_offline.__file__).parent / "static" / "redoc.standalone.js"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# A transparent 1x1 GIF: the attribution keeps its place, its image loads from nowhere.
EMPTY_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
# The bundle changes only with the installed package.
BUNDLE_MAX_AGE = 86400


@cache
def redoc_bundle() -> bytes:
    """ReDoc's bundle with its one address on another origin replaced."""
    return _REDOC_BUNDLE.read_text(encoding="utf-8").replace(REDOC_LOGO, EMPTY_IMAGE).encode()


def install_redoc(app: FastAPI) -> None:
    """ReDoc at ``/redoc``, as fastapi_offline would serve it but for its bundle's URL."""

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{REDOC_JS}",
            redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            with_google_fonts=False,
        )

    @app.get(REDOC_JS, include_in_schema=False)
    def redoc_js() -> Response:
        return Response(
            redoc_bundle(),
            media_type="text/javascript",
            headers={"Cache-Control": f"public, max-age={BUNDLE_MAX_AGE}"},
        )
