"""The web layer every product's pages stand on (DESIGN.md section 2, "Web pages").

- ``page_router()`` (:mod:`kro.web.routing`): the router of a module's ``pages.py``; CSRF on
  every form, errors rendered as pages, sign-in redirects, security headers.
- ``PageUser`` / ``PageAdmin`` / ``OptionalViewer`` (:mod:`kro.web.dependencies`): who is
  looking, from an opaque session cookie naming a ``web_sessions`` row.
- ``render`` / ``redirect`` (:mod:`kro.web.templating`): Jinja2 over every module's
  ``templates/`` folder, the shared layout ``web/base.html`` and ``web/components.html``.
- ``Form`` / ``read_form`` (:mod:`kro.web.forms`): the API's schemas parse forms, services run
  in a savepoint, errors land next to their field with the API's code.
- ``money`` / ``when`` / ``parse_amount`` (:mod:`kro.web.formatting`): Babel, minor units.

Pages call the same services as the JSON endpoints, never the API over HTTP.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from kro.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"


def install(app: FastAPI, settings: Settings) -> None:
    """Serve ``/static`` (our own CSS and JS) and ``/static/vendor`` (browser libraries the
    project's setup installed from a registry package, if present)."""
    vendor = Path(settings.web_vendor_path)
    if vendor.is_dir():
        app.mount("/static/vendor", StaticFiles(directory=vendor), name="vendor")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
