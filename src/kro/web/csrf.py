"""CSRF protection for every form (OWASP's signed double-submit cookie).

A browser gets a random ``kro_csrf`` cookie (HttpOnly, SameSite=Lax) the first time a page is
rendered for it; every form carries ``csrf_token`` = HMAC-SHA256(``KRO_WEB_SECRET``, that
cookie). A POST without it, or with the token of another cookie, is refused with 403
``csrf_failed`` before the page's handler runs. Scripts send the same token in
``X-CSRF-Token``. The HMAC keeps a cookie planted by a sibling sub-domain from being enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

from kro.settings import Settings
from kro.web.errors import CsrfFailed

COOKIE = "kro_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def nonce(request: Request) -> str:
    """This browser's CSRF cookie value, minted (and marked to be set) if it has none."""
    value = getattr(request.state, "csrf_nonce", None)
    if value is None:
        value = request.cookies.get(COOKIE, "")
        if not (20 <= len(value) <= 100):
            value = secrets.token_urlsafe(32)
            request.state.csrf_new = True
        request.state.csrf_nonce = value
    return str(value)


def token(request: Request) -> str:
    """The token forms carry (``{{ csrf_field() }}`` in templates)."""
    key = _settings(request).web_secret.encode()
    return hmac.new(key, nonce(request).encode(), hashlib.sha256).hexdigest()


def rotate(request: Request) -> None:
    """A new cookie at sign-in and sign-out (a token seen before cannot be replayed after)."""
    request.state.csrf_nonce = secrets.token_urlsafe(32)
    request.state.csrf_new = True


async def csrf_protect(request: Request) -> None:
    """Router dependency of every page router: unsafe methods need a valid token."""
    if request.method in SAFE_METHODS:
        return
    cookie = request.cookies.get(COOKIE, "")
    sent = request.headers.get(HEADER, "")
    if not sent:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(FIELD, "")
            sent = value if isinstance(value, str) else ""
    if not cookie or not sent:
        raise CsrfFailed()
    key = _settings(request).web_secret.encode()
    expected = hmac.new(key, cookie.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sent):
        raise CsrfFailed()
