"""Request bodies as the simulators' providers read them: a JSON object, or the provider's 400.

Each provider passes its own error (``error(message)`` gives the exception to raise) and, where
it words them differently, its own messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import Request

Invalid = Callable[[str], Exception]
"""``(message) -> the provider's 400``."""


async def json_object(
    request: Request,
    error: Invalid,
    *,
    decimals: bool = False,
    not_json: str = "Request body must be valid JSON",
    not_object: str = "Request body must be a JSON object",
) -> dict[str, Any]:
    """The body as a JSON object (an empty body is ``{}``); with ``decimals``, numbers with a
    fraction are ``Decimal`` (amounts in major units). Raises ``error(not_json)`` or
    ``error(not_object)``."""
    raw = await request.body()
    try:
        body = json.loads(raw, parse_float=Decimal if decimals else None) if raw.strip() else {}
    except ValueError:
        raise error(not_json) from None
    if not isinstance(body, dict):
        raise error(not_object)
    return body


def text_field(
    body: dict[str, Any], name: str, error: Invalid, *, required: bool, max_length: int = 300
) -> str | None:
    """``body[name]`` stripped; None when optional and missing or empty. Raises
    ``error("<name> is required")`` for a missing or non-string value and
    ``error("<name> is too long")`` past ``max_length``."""
    value = body.get(name)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise error(f"{name} is required")
    if len(value) > max_length:
        raise error(f"{name} is too long")
    return value.strip()
