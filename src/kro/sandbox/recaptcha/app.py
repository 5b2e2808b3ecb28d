"""The simulator as an ASGI app: :class:`RecaptchaSandbox` (mountable) and :func:`create_app`."""

from __future__ import annotations

from typing import Any

from cachetools import LRUCache
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kro.kit.clock import utcnow
from kro.sandbox.recaptcha.config import RecaptchaSandboxConfig

SITEVERIFY_PATH = "/recaptcha/api/siteverify"
PASSING_PREFIX = "pass"
LOW_SCORE_PREFIX = "pass-low"


class RecaptchaSandbox:
    """A siteverify look-alike; ``.app`` serves it. Keeps only the seen tokens, in memory."""

    def __init__(self, config: RecaptchaSandboxConfig | None = None) -> None:
        self.config = config or RecaptchaSandboxConfig()
        self._seen: LRUCache[str, bool] = LRUCache(maxsize=self.config.remembered_tokens)
        self.app = self._build_app()

    def verify(self, secret: str, response: str) -> dict[str, Any]:
        """Google's answer to ``secret`` and ``response`` (the JSON body)."""
        codes: list[str] = []
        if not secret:
            codes.append("missing-input-secret")
        elif secret not in self.config.secret_keys:
            codes.append("invalid-input-secret")
        if not response:
            codes.append("missing-input-response")
        elif not response.startswith(PASSING_PREFIX):
            codes.append("invalid-input-response")
        if codes:
            return {"success": False, "error-codes": codes}
        if self.config.single_use:
            if response in self._seen:
                return {"success": False, "error-codes": ["timeout-or-duplicate"]}
            self._seen[response] = True
        body: dict[str, Any] = {
            "success": True,
            "challenge_ts": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "hostname": self.config.hostname,
        }
        if self.config.version == 3:
            body["score"] = 0.1 if response.startswith(LOW_SCORE_PREFIX) else 0.9
            body["action"] = "submit"
        return body

    def _build_app(self) -> FastAPI:
        app = FastAPI(
            title="reCAPTCHA sandbox",
            description="A local simulator of www.google.com/recaptcha/api/siteverify.",
            version="1",
        )

        @app.post(SITEVERIFY_PATH)
        async def siteverify(request: Request) -> JSONResponse:
            # Google reads the parameters from the form body or the query string.
            params: dict[str, Any] = dict(request.query_params)
            params.update(await request.form())
            secret = params.get("secret")
            response = params.get("response")
            return JSONResponse(
                self.verify(
                    secret if isinstance(secret, str) else "",
                    response if isinstance(response, str) else "",
                )
            )

        return app


def create_app(config: RecaptchaSandboxConfig | None = None) -> FastAPI:
    """A standalone server of the simulator."""
    return RecaptchaSandbox(config).app
