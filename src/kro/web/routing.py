"""Page routers: ``page_router()`` is to ``pages.py`` what ``APIRouter`` is to
``endpoints.py``.

Every route of a page router:
- refuses an unsafe method without a valid CSRF token (403 ``csrf_failed``);
- turns ``SignInRequired`` into a redirect to the sign-in page (``?next=`` the page), and
  any other :class:`KroError` into the error page with its status and code (an object of
  another user is a 404 page, as in the API);
- sets the CSRF cookie when it minted one, and the security headers of a page;
- stays out of the OpenAPI schema (``/docs`` is the JSON API).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from kro.kit.errors import KroError
from kro.settings import Settings
from kro.web import csrf
from kro.web.errors import SignInRequired
from kro.web.templating import render

log = structlog.get_logger("kro.web")
_INTERNAL = KroError(
    "Something went wrong on our side. Nothing was saved; please retry.",
    code="internal_error",
    status=500,
)
# No inline script and no third-party origin; images may be data: URIs (QR codes).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class PageRoute(APIRoute):
    """An HTML route: errors become pages or redirects (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired as exc:
                target = "/admin/sign-in" if exc.admin else "/sign-in"
                response = RedirectResponse(
                    f"{target}?next={quote(exc.next_url, safe='/')}", status_code=303
                )
            except KroError as exc:
                response = render(request, "web/error.html", {"error": exc}, status=exc.http_status)
                response.headers.update(exc.headers)
            except RequestValidationError as exc:
                response = render(
                    request,
                    "web/error.html",
                    {
                        "error": KroError(
                            "Some of the values sent are not valid.",
                            code="validation_error",
                            details=exc.errors(),
                        )
                    },
                    status=422,
                )
            except Exception:
                # A bug, not the user's fault: logged with its trace, shown as a page.
                log.exception("page_error", path=request.url.path)
                response = render(request, "web/error.html", {"error": _INTERNAL}, status=500)
            _finish(request, response)
            return response

        return page_handler


def _finish(request: Request, response: Response) -> None:
    if getattr(request.state, "csrf_new", False):
        settings: Settings = request.app.state.settings
        response.set_cookie(
            csrf.COOKIE,
            csrf.nonce(request),
            httponly=True,
            samesite="lax",
            secure=settings.env == "production",
        )
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def page_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` for pages (HTML responses, CSRF on every form, no OpenAPI)."""
    return APIRouter(
        route_class=PageRoute,
        dependencies=[Depends(csrf.csrf_protect), *kwargs.pop("dependencies", [])],
        include_in_schema=False,
        default_response_class=HTMLResponse,
        **kwargs,
    )
