"""Termii's ``/api/sms/send``, served by the simulator (see the package docstring)."""

from __future__ import annotations

import hmac
import re
import secrets
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

if TYPE_CHECKING:
    from kro.sandbox.messaging.app import MessagingSandbox

PROVIDER = "termii"
_NUMBER = re.compile(r"^[1-9]\d{7,14}$")
_SENDER = re.compile(r"^[A-Za-z0-9 ]{3,11}$")
_CHANNELS = ("generic", "dnd", "whatsapp")


class TermiiError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def error_response(status: int, message: str) -> Response:
    return JSONResponse({"code": "fail", "message": message}, status_code=status)


def build_app(sandbox: MessagingSandbox) -> FastAPI:
    app = sandbox.provider_app(PROVIDER, "Termii", error_response)

    @app.exception_handler(TermiiError)
    async def termii_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, TermiiError)
        return error_response(exc.status, exc.message)

    @app.post("/api/sms/send")
    async def send(request: Request) -> JSONResponse:
        body = await _body(request)
        key = str(body.get("api_key") or "")
        if not any(
            hmac.compare_digest(key.encode(), k.encode()) for k in sandbox.config.termii_api_keys
        ):
            raise TermiiError("Invalid API key", 401)
        channel = body.get("channel")
        if channel not in _CHANNELS:
            raise TermiiError("channel must be one of generic, dnd, whatsapp")
        if body.get("type") != "plain":
            raise TermiiError("type must be plain")
        sender = str(body.get("from") or "")
        if not sender or (channel != "whatsapp" and not _SENDER.match(sender)):
            raise TermiiError("from must be a sender ID of 3 to 11 alphanumeric characters")
        sms = body.get("sms")
        if not isinstance(sms, str) or not sms:
            raise TermiiError("sms is required")
        recipients = _recipients(body.get("to"))
        message_id = str(secrets.randbelow(9 * 10**18) + 10**18)
        for to in recipients:
            await sandbox.capture(
                provider=PROVIDER,
                channel="whatsapp" if channel == "whatsapp" else "sms",
                message_id=message_id,
                recipient=to,
                sender=sender,
                body=sms,
                request={k: v for k, v in body.items() if k != "api_key"},
            )
        return JSONResponse(
            {
                "code": "ok",
                "message_id": message_id,
                "message_id_str": message_id,
                "message": "Successfully Sent",
                "balance": 9999.5,
                "user": "KRO Sandbox",
            }
        )

    return app


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
        raise TermiiError("The request body must be JSON") from exc
    if not isinstance(body, dict):
        raise TermiiError("The request body must be a JSON object")
    return body


def _recipients(value: Any) -> list[str]:
    numbers = value if isinstance(value, list) else [value]
    if not numbers or len(numbers) > 100:
        raise TermiiError("to must be a phone number or a list of up to 100")
    result = [str(n).strip() for n in numbers if n is not None]
    if len(result) != len(numbers) or not all(_NUMBER.match(n) for n in result):
        raise TermiiError("to must be in international format without +, e.g. 2348012345678")
    return result
