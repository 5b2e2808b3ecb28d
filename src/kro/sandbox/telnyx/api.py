"""Telnyx's ``/v2/messages``, served by the simulator (see the package docstring)."""

from __future__ import annotations

import hmac
import re
import uuid
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from kro.kit.clock import utcnow

if TYPE_CHECKING:
    from kro.sandbox.messaging.app import MessagingSandbox

PROVIDER = "telnyx"
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class TelnyxError(Exception):
    def __init__(self, code: str, title: str, detail: str, status: int, pointer: str = "") -> None:
        super().__init__(detail)
        self.code, self.title, self.detail, self.status, self.pointer = (
            code, title, detail, status, pointer,
        )  # fmt: skip

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "title": self.title, "detail": self.detail}
        if self.pointer:
            error["source"] = {"pointer": self.pointer}
        return {"errors": [error]}


def error_response(status: int, message: str) -> Response:
    body = {"errors": [{"code": str(status), "title": message, "detail": message}]}
    return JSONResponse(body, status_code=status)


def build_app(sandbox: MessagingSandbox) -> FastAPI:
    app = sandbox.provider_app(PROVIDER, "Telnyx", error_response)

    @app.exception_handler(TelnyxError)
    async def telnyx_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, TelnyxError)
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.post("/v2/messages")
    async def send(request: Request) -> JSONResponse:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not any(
            hmac.compare_digest(key.strip().encode(), k.encode())
            for k in sandbox.config.telnyx_api_keys
        ):
            raise TelnyxError(
                "10009", "Authentication failed", "The API key is missing or invalid.", 401
            )
        body = await _body(request)
        for field in ("from", "to", "text"):
            if not isinstance(body.get(field), str) or not body[field]:
                raise TelnyxError(
                    "10005",
                    "Missing required parameter",
                    f"The '{field}' parameter is required.",
                    422,
                    f"/{field}",
                )
        to, sender, text = body["to"], body["from"], body["text"]
        if not _E164.match(to):
            raise TelnyxError("40310", "Invalid 'to' address", f"'{to}' is not E.164.", 400, "/to")
        message_id = str(uuid.uuid4())
        await sandbox.capture(
            provider=PROVIDER,
            channel="sms",
            message_id=message_id,
            recipient=to,
            sender=sender,
            body=text,
            request=body,
        )
        return JSONResponse({"data": _message(message_id, sender, to, text)})

    return app


def _message(message_id: str, sender: str, to: str, text: str) -> dict[str, Any]:
    gsm = all(ord(c) < 128 for c in text)
    per_part = 160 if gsm else 70
    parts = 1 if len(text) <= per_part else -(-len(text) // (153 if gsm else 67))
    return {
        "record_type": "message",
        "direction": "outbound",
        "id": message_id,
        "type": "SMS",
        "messaging_profile_id": None,
        "from": {"phone_number": sender, "carrier": "KRO Sandbox", "line_type": "Long Code"},
        "to": [{"phone_number": to, "status": "queued", "carrier": "", "line_type": ""}],
        "text": text,
        "media": [],
        "webhook_url": None,
        "webhook_failover_url": None,
        "encoding": "GSM-7" if gsm else "UCS-2",
        "parts": parts,
        "tags": [],
        "cost": None,
        "received_at": utcnow().isoformat().replace("+00:00", "Z"),
        "sent_at": None,
        "completed_at": None,
        "valid_until": None,
        "errors": [],
    }


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TelnyxError("10015", "Bad Request", "The request body must be a JSON object.", 400)
    return body
