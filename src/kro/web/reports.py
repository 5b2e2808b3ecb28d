"""Admin report pages "per day over a date range", one mechanism for every product: the
range from the query (the last 30 Lagos days by default), the product's rows and total, the
range's error (``invalid_date_range``) beside the ``end`` field."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response

from kro.kit import days
from kro.kit.errors import KroError
from kro.web.forms import Form
from kro.web.templating import render

R = TypeVar("R")


async def per_day_page(
    request: Request,
    template: str,
    start: date | None,
    end: date | None,
    load: Callable[[date, date], Awaitable[list[R]]],
    total: Callable[[list[R]], Any],
    form: Form | None = None,
) -> Response:
    """Render ``template`` with ``rows`` (``load(first, last)``) and their ``total``, the
    range's form values, and the errors of ``form`` (a form of the same page that failed,
    e.g. an export) or of the range."""
    first, last = days.default_range(start, end)
    form = form or Form({})
    form.values.setdefault("start", first.isoformat())
    form.values.setdefault("end", last.isoformat())
    rows: list[R] = []
    try:
        rows = await load(first, last)
    except KroError as exc:
        form.fail(exc)
    ctx = form.context(rows=rows, total=total(rows))
    return render(request, template, ctx, status=form.status)
