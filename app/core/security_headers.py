"""Security headers on every response, computed once at start-up."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.surfaces import is_page

# JSON needs no scripts, styles, frames or anything else a browser could load.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc load their bundles, styles and logo from our own /static-offline-docs
# and start with an inline <script>; the OpenAPI document is fetched from 'self'.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# ReDoc's page starts from its bundle alone (app/core/docs.py): no inline script to allow.
# Its styles stay inline, as the bundle writes them at run time.
REDOC_CSP = DOCS_CSP.replace("script-src 'self' 'unsafe-inline'", "script-src 'self'")
REDOC_PATHS = ("/redoc",)
# The explorer's pages: their own stylesheet and script, forms that stay on the site; no
# inline script or style (timelines are SVG attributes, not style attributes).
PAGES_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = ("/docs", "/redoc", "/static-offline-docs/")
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Add ``nosniff``, ``no-referrer``, ``DENY`` framing, a CSP and (over HTTPS) HSTS.

    The API gets a CSP that allows nothing; the interactive docs get one that allows their
    own same-origin assets and Swagger UI's inline start-up script (ReDoc has none); the
    explorer's pages their own stylesheet and script.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
        ]
        if hsts:
            common.append((b"strict-transport-security", HSTS.encode()))
        self.api_headers = [*common, (b"content-security-policy", API_CSP.encode())]
        self.docs_headers = [*common, (b"content-security-policy", DOCS_CSP.encode())]
        self.redoc_headers = [*common, (b"content-security-policy", REDOC_CSP.encode())]
        self.page_headers = [*common, (b"content-security-policy", PAGES_CSP.encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path.startswith(REDOC_PATHS):
            extra = self.redoc_headers
        elif path.startswith(DOCS_PATHS):
            extra = self.docs_headers
        elif is_page(path):
            extra = self.page_headers
        else:
            extra = self.api_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
