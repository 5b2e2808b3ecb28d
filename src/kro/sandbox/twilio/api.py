"""Twilio's Messages resource, served by the simulator (see the package docstring)."""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from kro.kit.clock import utcnow
from kro.kit.db import unit_of_work
from kro.sandbox.messaging.models import CapturedMessage

if TYPE_CHECKING:
    from kro.sandbox.messaging.app import MessagingSandbox

PROVIDER = "twilio"
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
_MESSAGES = {
    20003: "Authenticate",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21617: "The concatenated message body exceeds the 1600 character limit.",
}


class TwilioError(Exception):
    def __init__(self, code: int, status: int = 400, message: str | None = None) -> None:
        super().__init__(message or _MESSAGES.get(code, "Error"))
        self.code, self.status, self.message = code, status, message or _MESSAGES.get(code, "")


def error_body(code: int | None, status: int, message: str) -> dict[str, Any]:
    more = f"https://www.twilio.com/docs/errors/{code}" if code else None
    return {"code": code, "message": message, "more_info": more, "status": status}


def error_response(status: int, message: str) -> Response:
    return JSONResponse(error_body(None, status, message), status_code=status)


def build_app(sandbox: MessagingSandbox) -> FastAPI:
    app = sandbox.provider_app(PROVIDER, "Twilio", error_response)
    accounts = sandbox.config.twilio_accounts

    @app.exception_handler(TwilioError)
    async def twilio_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, TwilioError)
        return JSONResponse(error_body(exc.code, exc.status, exc.message), status_code=exc.status)

    def authenticate(request: Request, account_sid: str) -> None:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            sid, _, token = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            sid, token = "", ""
        expected = accounts.get(sid)
        if (
            scheme.lower() != "basic"
            or expected is None
            or not hmac.compare_digest(expected.encode(), token.encode())
            or sid != account_sid
        ):
            raise TwilioError(20003, 401)

    @app.post("/2010-04-01/Accounts/{account_sid}/Messages.json")
    async def create(account_sid: str, request: Request) -> JSONResponse:
        authenticate(request, account_sid)
        form = {k: str(v) for k, v in (await request.form()).items()}
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        service = form.get("MessagingServiceSid")
        if not to:
            raise TwilioError(21604)
        if not sender and not service:
            raise TwilioError(21603)
        if not body and not form.get("MediaUrl"):
            raise TwilioError(21602)
        if len(body) > 1600:
            raise TwilioError(21617)
        whatsapp = to.startswith("whatsapp:")
        if not _E164.match(to.removeprefix("whatsapp:")):
            raise TwilioError(21211, message=f"Invalid 'To' Phone Number: {to}")
        sid = "SM" + secrets.token_hex(16)
        row = await sandbox.capture(
            provider=PROVIDER,
            channel="whatsapp" if whatsapp else "sms",
            message_id=sid,
            recipient=to,
            sender=sender or str(service),
            body=body,
            request={"account_sid": account_sid, **form},
        )
        data = message_resource(row, account_sid, "accepted" if service else "queued")
        return JSONResponse(data, status_code=201)

    @app.get("/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json")
    async def fetch(account_sid: str, sid: str, request: Request) -> JSONResponse:
        authenticate(request, account_sid)
        async with unit_of_work(sandbox.sessions) as session:
            row = await session.scalar(
                select(CapturedMessage).where(
                    CapturedMessage.provider == PROVIDER, CapturedMessage.message_id == sid
                )
            )
        if row is None or (row.request or {}).get("account_sid") != account_sid:
            path = request.url.path[request.url.path.index("/2010-04-01") :]
            raise TwilioError(20404, 404, f"The requested resource {path} was not found")
        return JSONResponse(message_resource(row, account_sid, row.status))

    return app


def message_resource(row: CapturedMessage, account_sid: str, status: str) -> dict[str, Any]:
    """Twilio's Message resource (snake_case, RFC 2822 dates, ``price`` null while queued)."""
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{row.message_id}.json"
    segments = max(1, -(-len(row.body) // 153)) if len(row.body) > 160 else 1
    request = row.request or {}
    return {
        "sid": row.message_id,
        "account_sid": account_sid,
        "messaging_service_sid": request.get("MessagingServiceSid"),
        "to": row.recipient,
        "from": request.get("From"),
        "body": row.body,
        "status": status,
        "num_segments": str(segments),
        "num_media": "0",
        "direction": "outbound-api",
        "api_version": "2010-04-01",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "date_created": _rfc2822(row.created_at),
        "date_sent": None,
        "date_updated": _rfc2822(utcnow()),
        "uri": uri,
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
    }


def _rfc2822(value: datetime) -> str:
    return format_datetime(value.replace(microsecond=0))
