"""reCAPTCHA check for register, login and magic-link requests (seed 001 ``captcha/``).

When ``KRO_RECAPTCHA_ENABLED`` is true, :data:`CaptchaCheck` requires the token that the
reCAPTCHA widget gave the browser in the ``X-Captcha-Token`` header and verifies it with
Google's ``siteverify`` (developers.google.com/recaptcha/docs/verify): a form POST of
``secret``, ``response`` and ``remoteip`` to ``{recaptcha_base_url}/recaptcha/api/siteverify``,
answered ``{"success", "challenge_ts", "hostname", "error-codes"}`` (v3 adds ``score``,
``action``). The embedded default points at the sandbox (:mod:`kro.sandbox.recaptcha`).

Use on an endpoint, either way::

    @router.post("/v1/auth/login", dependencies=[Depends(require_captcha)])
    async def login(body: LoginIn, _captcha: CaptchaCheck, ...) -> ...

Failures: 400 ``captcha_failed`` (missing, wrong, reused or expired token; v3 score below
``recaptcha_min_score``), ``details.error_codes`` being Google's codes (or ``low-score``);
502 ``captcha_unavailable`` when Google cannot be asked or refuses our secret, which is
ours to fix, not the user's. It fails closed: no answer, no sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import structlog
from fastapi import Depends, Header, Request

from kro.identity.dependencies import AppSettings
from kro.identity.errors import CaptchaFailed, CaptchaUnavailable
from kro.kit.http import make_client
from kro.kit.openapi import raises
from kro.settings import Settings

log = structlog.get_logger("kro.identity.captcha")

SITEVERIFY_PATH = "/recaptcha/api/siteverify"
CAPTCHA_HEADER = "X-Captcha-Token"
# Codes that say our request was wrong (the secret), not the user's token.
_OUR_FAULT = {"missing-input-secret", "invalid-input-secret", "bad-request"}


@dataclass(frozen=True, slots=True)
class CaptchaResult:
    """A passed check: where and when the challenge was solved; ``score`` for v3 only."""

    hostname: str | None
    challenge_ts: str | None
    score: float | None = None


async def verify_captcha(
    settings: Settings, token: str | None, remote_ip: str | None = None
) -> CaptchaResult:
    """Ask ``siteverify`` about ``token``; raises :class:`CaptchaFailed` or
    :class:`CaptchaUnavailable`."""
    if not token:
        raise CaptchaFailed(
            "A CAPTCHA token is required.", details={"error_codes": ["missing-input-response"]}
        )
    body = await _siteverify(settings, token, remote_ip)
    codes = [str(c) for c in body.get("error-codes") or []]
    if body.get("success") is not True:
        if _OUR_FAULT.intersection(codes):
            log.error("captcha_misconfigured", error_codes=codes)
            raise CaptchaUnavailable()
        raise CaptchaFailed(details={"error_codes": codes or ["invalid-input-response"]})
    score = body.get("score")
    if isinstance(score, int | float) and score < settings.recaptcha_min_score:
        raise CaptchaFailed(details={"error_codes": ["low-score"]})
    return CaptchaResult(
        hostname=body.get("hostname"),
        challenge_ts=body.get("challenge_ts"),
        score=float(score) if isinstance(score, int | float) else None,
    )


async def _siteverify(settings: Settings, token: str, remote_ip: str | None) -> dict[str, Any]:
    form = {"secret": settings.recaptcha_secret_key, "response": token}
    if remote_ip:
        form["remoteip"] = remote_ip
    url = f"{settings.recaptcha_base_url}{SITEVERIFY_PATH}"
    try:
        async with make_client(timeout=settings.recaptcha_timeout) as http:
            response = await http.post(url, data=form)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("captcha_unavailable", error=type(exc).__name__)
        raise CaptchaUnavailable() from exc
    if not isinstance(body, dict):
        raise CaptchaUnavailable()
    return body


@raises(CaptchaFailed, CaptchaUnavailable)
async def require_captcha(
    request: Request,
    settings: AppSettings,
    token: Annotated[
        str | None,
        Header(alias=CAPTCHA_HEADER, description="reCAPTCHA token (when CAPTCHA is enabled)"),
    ] = None,
) -> CaptchaResult | None:
    """The dependency: ``None`` when CAPTCHA is disabled, else the passed check; 400
    ``captcha_failed``, 502 ``captcha_unavailable``."""
    if not settings.recaptcha_enabled:
        return None
    remote_ip = request.client.host if request.client else None
    return await verify_captcha(settings, token, remote_ip)


CaptchaCheck = Annotated[CaptchaResult | None, Depends(require_captcha)]
