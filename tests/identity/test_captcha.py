"""reCAPTCHA: the ``CaptchaCheck`` dependency on a test endpoint, verified over real HTTP
against the sandbox's ``siteverify``; and the sandbox's answers themselves."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import httpx
from fastapi import FastAPI

from kro.identity.captcha import CAPTCHA_HEADER, CaptchaCheck
from kro.kit import api
from kro.kit.api import Envelope, ok
from kro.sandbox.recaptcha import RecaptchaSandbox, RecaptchaSandboxConfig
from kro.settings import Settings
from tests.support.api import data, error
from tests.support.server import free_port, serve_in_thread

SECRET = "test-recaptcha-secret"


def guarded_app(settings: Settings, *, sandbox_secret: str, version: Literal[2, 3]) -> FastAPI:
    """A sign-in-like endpoint behind ``CaptchaCheck``, with the sandbox mounted beside it."""
    app = FastAPI()
    app.state.settings = settings
    api.install(app)

    @app.post("/v1/auth/login")
    async def login(captcha: CaptchaCheck) -> Envelope[dict[str, Any]]:
        return ok({"checked": captcha is not None, "hostname": captcha and captcha.hostname})

    config = RecaptchaSandboxConfig(secret_keys=[sandbox_secret], version=version)
    app.mount("/sandbox/recaptcha", RecaptchaSandbox(config).app)
    return app


@contextmanager
def serve(
    *, sandbox_secret: str = SECRET, version: Literal[2, 3] = 2, **overrides: Any
) -> Iterator[httpx.Client]:
    port = free_port()
    values: dict[str, Any] = {
        "env": "test",
        "port": port,
        "recaptcha_enabled": True,
        "recaptcha_secret_key": SECRET,
        "recaptcha_timeout": 2.0,
    }
    settings = Settings(**{**values, **overrides})
    app = guarded_app(settings, sandbox_secret=sandbox_secret, version=version)
    with (
        serve_in_thread(lambda _: app, port=port) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        yield http


def login(http: httpx.Client, token: str | None = None) -> httpx.Response:
    return http.post("/v1/auth/login", headers={CAPTCHA_HEADER: token} if token else {})


def test_a_solved_captcha_passes_once_and_everything_else_is_refused() -> None:
    with serve() as http:
        assert data(login(http, "pass-1f3c")) == {"checked": True, "hostname": "localhost"}
        refused = {
            None: "missing-input-response",
            "wrong-token": "invalid-input-response",
            "pass-1f3c": "timeout-or-duplicate",  # tokens are single use
        }
        for token, google_code in refused.items():
            err = error(login(http, token), 400, "captcha_failed")
            assert err["details"] == {"error_codes": [google_code]}, token


def test_when_disabled_no_token_is_needed() -> None:
    with serve(recaptcha_enabled=False) as http:
        assert data(login(http)) == {"checked": False, "hostname": None}


def test_a_low_v3_score_is_refused() -> None:
    with serve(version=3, recaptcha_min_score=0.5) as http:
        assert data(login(http, "pass-human"))["checked"] is True
        err = error(login(http, "pass-low-bot"), 400, "captcha_failed")
        assert err["details"] == {"error_codes": ["low-score"]}


def test_our_wrong_secret_or_an_unreachable_google_is_a_502_not_the_users_fault() -> None:
    with serve(sandbox_secret="another-secret") as http:
        error(login(http, "pass-1"), 502, "captcha_unavailable")
    closed = f"http://127.0.0.1:{free_port()}"
    with serve(recaptcha_base_url=closed) as http:
        error(login(http, "pass-1"), 502, "captcha_unavailable")


def test_the_sandbox_answers_like_siteverify() -> None:
    sandbox = RecaptchaSandbox(RecaptchaSandboxConfig(secret_keys=[SECRET]))
    with (
        serve_in_thread(lambda _: sandbox.app) as base_url,
        httpx.Client(base_url=base_url, timeout=10) as http,
    ):
        url = "/recaptcha/api/siteverify"
        ok_body = http.post(
            url, data={"secret": SECRET, "response": "pass-a", "remoteip": "1.2.3.4"}
        )
        assert ok_body.status_code == 200
        body = ok_body.json()
        assert body["success"] is True and body["hostname"] == "localhost"
        assert body["challenge_ts"].endswith("Z") and "score" not in body
        # Parameters in the query string work too, as at Google.
        assert http.post(url, params={"secret": SECRET, "response": "pass-b"}).json()["success"]
        assert http.post(url, data={"response": "pass-c"}).json() == {
            "success": False,
            "error-codes": ["missing-input-secret"],
        }
        assert http.post(url, data={"secret": "nope", "response": "x"}).json() == {
            "success": False,
            "error-codes": ["invalid-input-secret", "invalid-input-response"],
        }
        assert http.post(url, data={"secret": SECRET}).json()["error-codes"] == [
            "missing-input-response"
        ]
