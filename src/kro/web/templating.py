"""Rendering pages: one Jinja2 environment over every module's ``templates/`` folder.

A template is named by its module: ``"escrow/order.html"`` is
``src/kro/escrow/templates/order.html``, ``"marketplace/catalog/service.html"`` is
``src/kro/marketplace/catalog/templates/service.html``; ``"web/…"`` holds the shared layout
and components (``web/base.html``, ``web/components.html``). Autoescaping is on.

Every page gets ``request``, ``csrf_field()``, ``csrf_token``, ``viewer`` (the signed-in
user, if any), ``flashes`` and the ``money``/``when`` filters.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import (
    BaseLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)
from markupsafe import Markup

from kro.settings import Settings
from kro.web import csrf, formatting, navigation

PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # src/kro
FLASH_COOKIE = "kro_flash"


class ModuleLoader(BaseLoader):
    """``"<module path>/<name>"`` → that module's ``templates/<name>``, the longest module
    path first (``payments/merchant/x.html`` is ``payments/merchant``'s, not ``payments``'s:
    Jinja's ``PrefixLoader`` splits at the first slash only)."""

    def __init__(self, loaders: dict[str, FileSystemLoader]) -> None:
        self.loaders = sorted(loaders.items(), key=lambda item: -len(item[0]))

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        for prefix, loader in self.loaders:
            if template.startswith(prefix + "/"):
                try:
                    return loader.get_source(environment, template[len(prefix) + 1 :])
                except TemplateNotFound:
                    continue
        raise TemplateNotFound(template)


def _template_dirs() -> dict[str, FileSystemLoader]:
    """``{"escrow": <src/kro/escrow/templates>, "marketplace/catalog": …}``."""
    loaders: dict[str, FileSystemLoader] = {}
    for folder in sorted(PACKAGE_ROOT.rglob("templates")):
        if folder.is_dir() and "sandbox" not in folder.parts:
            prefix = folder.parent.relative_to(PACKAGE_ROOT).as_posix()
            loaders[prefix] = FileSystemLoader(folder)
    return loaders


@lru_cache(maxsize=1)
def templates() -> Jinja2Templates:
    """The one environment (built once per process)."""
    env = Environment(
        loader=ModuleLoader(_template_dirs()),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = formatting.money
    env.filters["when"] = formatting.when
    env.globals["nav_links"] = navigation.links
    env.globals["nav_current"] = navigation.current
    env.filters["label"] = lambda value: str(value or "").replace("_", " ").capitalize()
    return Jinja2Templates(env=env)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _flash_serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(_settings(request).web_secret, salt="kro.web.flash")


def flash(response: HTMLResponse | RedirectResponse, request: Request, message: str) -> None:
    """Show ``message`` once on the next page this browser renders (a signed cookie)."""
    response.set_cookie(
        FLASH_COOKIE,
        _flash_serializer(request).dumps([message]),
        httponly=True,
        samesite="lax",
        secure=_settings(request).env == "production",
    )


def _flashes(request: Request) -> list[str]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        messages = _flash_serializer(request).loads(raw)
    except BadSignature:
        return []
    return [str(m) for m in messages] if isinstance(messages, list) else []


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    """Render template ``name`` as the response (``status`` 4xx for a form with errors)."""
    token = csrf.token(request)
    flashes = _flashes(request)
    ctx: dict[str, Any] = {
        "viewer": getattr(request.state, "viewer", None),
        "csrf_token": token,
        "csrf_field": lambda: Markup('<input type="hidden" name="{}" value="{}">').format(
            csrf.FIELD, token
        ),
        "flashes": flashes,
        "errors": {},
        "values": {},
        "form_error": None,
        "area": getattr(request.state, "area", "app"),
        "mode": getattr(request.state, "mode", None),
        "realtime": getattr(request.state, "realtime", False),
        "realtime_status": getattr(request.state, "realtime_status", None),
    }
    ctx.update(context or {})
    response = templates().TemplateResponse(request, name, ctx, status_code=status)
    if flashes:
        response.delete_cookie(FLASH_COOKIE)
    return response


def redirect(request: Request, url: str, *, message: str | None = None) -> RedirectResponse:
    """303 See Other to ``url`` (after a POST), with an optional flash ``message``."""
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(response, request, message)
    return response
