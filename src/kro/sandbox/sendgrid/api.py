"""SendGrid's ``/v3/mail/send``, served by the simulator (see the package docstring)."""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

if TYPE_CHECKING:
    from kro.sandbox.messaging.app import MessagingSandbox

PROVIDER = "sendgrid"
_HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"


class SendGridError(Exception):
    def __init__(self, errors: list[dict[str, Any]], status: int = 400) -> None:
        super().__init__(errors[0]["message"])
        self.errors, self.status = errors, status


def _error(message: str, field: str | None, anchor: str = "") -> dict[str, Any]:
    return {"message": message, "field": field, "help": f"{_HELP}#{anchor}" if anchor else None}


def error_response(status: int, message: str) -> Response:
    return JSONResponse({"errors": [_error(message, None)]}, status_code=status)


def build_app(sandbox: MessagingSandbox) -> FastAPI:
    app = sandbox.provider_app(PROVIDER, "SendGrid", error_response)

    @app.exception_handler(SendGridError)
    async def sendgrid_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, SendGridError)
        return JSONResponse({"errors": exc.errors}, status_code=exc.status)

    @app.post("/v3/mail/send")
    async def send(request: Request) -> Response:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not any(
            hmac.compare_digest(key.strip().encode(), k.encode())
            for k in sandbox.config.sendgrid_api_keys
        ):
            raise SendGridError(
                [_error("The provided authorization grant is invalid, expired, or revoked", None)],
                401,
            )
        body = await _body(request)
        mails = _validate(body)
        settings = body.get("mail_settings") or {}
        if isinstance(settings, dict) and (settings.get("sandbox_mode") or {}).get("enable"):
            return Response(status_code=200)
        message_id = secrets.token_urlsafe(16)[:22]
        sender = body["from"]["email"]
        text, html = _content(body)
        for recipient, subject in mails:
            await sandbox.capture(
                provider=PROVIDER,
                channel="email",
                message_id=message_id,
                recipient=recipient,
                sender=sender,
                subject=subject,
                body=text if text is not None else (html or ""),
                html=html,
                request=body,
            )
        return Response(status_code=202, headers={"X-Message-Id": message_id})

    return app


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise SendGridError([_error("Bad Request", None)])
    return body


def _validate(body: dict[str, Any]) -> list[tuple[str, str]]:
    """Check the fields SendGrid requires; (recipient email, subject) per recipient."""
    errors: list[dict[str, Any]] = []
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        errors.append(
            _error(
                "The personalizations field is required and must have at least 1 item.",
                "personalizations",
                "message.personalizations",
            )
        )
        personalizations = []
    sender = body.get("from")
    if not isinstance(sender, dict) or not _is_email(sender.get("email")):
        errors.append(
            _error(
                "The from object must be provided for every email send. It is an object that "
                "requires the email parameter, but may also contain a name parameter.",
                "from.email",
                "message.from",
            )
        )
    if not body.get("template_id") and not _content(body)[0] and not _content(body)[1]:
        errors.append(
            _error(
                "Unless a valid template_id is provided, the content parameter is required. "
                "There must be at least one defined content block.",
                "content",
                "message.content",
            )
        )
    mails: list[tuple[str, str]] = []
    for i, p in enumerate(personalizations):
        subject = (p.get("subject") if isinstance(p, dict) else None) or body.get("subject")
        if not subject and not body.get("template_id"):
            errors.append(_error("The subject is required.", "subject", "message.subject"))
        people = [
            *((p.get("to") or []) if isinstance(p, dict) else []),
            *((p.get("cc") or []) if isinstance(p, dict) else []),
            *((p.get("bcc") or []) if isinstance(p, dict) else []),
        ]
        if not isinstance(p, dict) or not p.get("to"):
            errors.append(
                _error(
                    "The to array is required for all personalization objects, and must have "
                    "at least one email object with a valid email address.",
                    f"personalizations.{i}.to",
                    "message.personalizations.to",
                )
            )
        for person in people:
            email = person.get("email") if isinstance(person, dict) else None
            if not _is_email(email):
                errors.append(
                    _error(
                        "Does not contain a valid address.",
                        f"personalizations.{i}.to",
                        "message.personalizations.to",
                    )
                )
            else:
                mails.append((str(email), str(subject or "")))
    if errors:
        raise SendGridError(errors)
    if len(mails) > 1000:
        raise SendGridError([_error("Too many recipients (at most 1000).", None)], 413)
    return mails


def _content(body: dict[str, Any]) -> tuple[str | None, str | None]:
    text = html = None
    for block in body.get("content") or []:
        if isinstance(block, dict) and isinstance(block.get("value"), str) and block["value"]:
            if block.get("type") == "text/plain":
                text = block["value"]
            elif block.get("type") == "text/html":
                html = block["value"]
    return text, html


def _is_email(value: Any) -> bool:
    return isinstance(value, str) and "@" in value and "." in value.rsplit("@", 1)[-1]
