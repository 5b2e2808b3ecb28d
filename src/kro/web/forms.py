"""Forms on pages: parse with the JSON API's own Pydantic schemas, run the service in a
savepoint, and show every error next to the field that caused it, with the API's code.

Typical page handler::

    form = await read_form(request)
    body = form.parse(OrderIn, {"title": form["title"], "amount": form.amount("amount")})
    if body is not None:
        async with form.saving(session):
            order = await service.create_order(session, viewer, body, …)
    if not form.ok:
        return render(request, "escrow/new_order.html", form.context(), status=form.status)
    return redirect(request, f"/orders/{order.id}")

A service error inside ``saving`` rolls its savepoint back, so a failed form leaves nothing
half-written, and the request's own commit then commits nothing of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit import db
from kro.kit.errors import KroError
from kro.web import csrf, formatting

M = TypeVar("M", bound=BaseModel)
FORM = "__all__"  # errors that belong to no single field


@dataclass(frozen=True, slots=True)
class FieldError:
    """What a person reads (``message``) and what the API would have said (``code``)."""

    code: str
    message: str


class Form:
    """The submitted values (strings, as typed) and the errors found so far."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self.values: dict[str, str] = dict(values or {})
        self.errors: dict[str, FieldError] = {}
        self.status = 200

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "").strip()

    def getlist(self, name: str) -> list[str]:
        raw = self.values.get(name, "")
        return [line.strip() for line in raw.splitlines() if line.strip()]

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, field: str, code: str, message: str, *, status: int = 422) -> None:
        """Record an error on ``field`` (the first one per field is kept)."""
        self.errors.setdefault(field, FieldError(code, message))
        if self.status < 400 or status == 422:
            self.status = status

    def fail(self, exc: KroError, field: str = FORM) -> None:
        """Record a service error on the field it names (``details.field``), else on
        ``field`` (default: the whole form)."""
        if isinstance(exc.details, dict) and isinstance(exc.details.get("field"), str):
            field = exc.details["field"]
        self.errors.setdefault(field, FieldError(exc.code, exc.message))
        self.status = exc.http_status

    def amount(self, field: str, currency: str = "NGN") -> int | None:
        """The amount typed in ``field`` (major units) in minor units, or ``None`` with a
        field error ``invalid_amount``."""
        try:
            return formatting.parse_amount(self[field], currency)
        except KroError as exc:
            self.error(field, exc.code, exc.message)
            return None

    def parse(self, model: type[M], data: Mapping[str, Any] | None = None) -> M | None:
        """Validate ``data`` (default: the raw values) with the API's schema ``model``;
        ``None`` if this form already has errors or validation fails (each error recorded on
        its top-level field with code ``validation_error``)."""
        try:
            parsed = model.model_validate(dict(self.values if data is None else data))
        except ValidationError as exc:
            for err in exc.errors():
                loc = err.get("loc") or (FORM,)
                message = str(err.get("msg", "Invalid value.")).removeprefix("Value error, ")
                self.error(str(loc[0]), "validation_error", message)
            return None
        return parsed if self.ok else None

    @asynccontextmanager
    async def saving(self, session: AsyncSession, field: str = FORM) -> AsyncIterator[None]:
        """Run the block in a savepoint; a :class:`KroError` rolls it back (unless the error
        is ``commit_anyway``) and is recorded on its field, else on ``field``."""
        async with db.savepoint(session) as held:  # a provider call may release it (SQLite)
            try:
                yield
            except KroError as exc:
                # The rare error whose writes must stand (a wrong code counts as an attempt).
                await (held.commit() if exc.commit_anyway else held.rollback())
                self.fail(exc, field)
            except BaseException:
                await held.rollback()
                raise
            else:
                await held.commit()

    def context(self, **extra: Any) -> dict[str, Any]:
        """What a template needs to redisplay the form: ``values``, ``errors``,
        ``form_error``."""
        return {
            "values": self.values,
            "errors": {k: v for k, v in self.errors.items() if k != FORM},
            "form_error": self.errors.get(FORM),
            **extra,
        }


async def read_form(request: Request) -> Form:
    """The request's text fields (files are read by the handler; the CSRF token is dropped)."""
    data = await request.form()
    return Form({k: v for k, v in data.items() if isinstance(v, str) and k != csrf.FIELD})
