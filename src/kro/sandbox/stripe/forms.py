"""Reading Stripe requests: form-encoded bodies and query strings with Stripe's bracket syntax,
the API key, ids and times.

Stripe's encoding (the SDKs' ``_api_encode``): nested hashes as ``metadata[reference]=r1``,
arrays as ``expand[0]=latest_charge`` (or ``expand[]=…``), booleans as ``true``/``false``,
integers as decimal text. :func:`nest` turns those pairs back into dicts and lists.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from kro.sandbox.stripe.errors import invalid, missing

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_ALPHANUM = string.ascii_letters + string.digits


def new_object_id(prefix: str) -> str:
    """A Stripe-looking id: ``pi_`` + 24 letters and digits (``pi_3MtwBwLkdIwHu7ix28a3tqPa``)."""
    return f"{prefix}_" + "".join(secrets.choice(_ALPHANUM) for _ in range(24))


def unix(when: datetime | None) -> int | None:
    """Seconds since the epoch, as Stripe writes every time (``created``)."""
    return None if when is None else int(when.timestamp())


def from_unix(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def api_key(authorization: str | None) -> str | None:
    """The secret key from ``Authorization: Bearer sk_…`` or ``Basic base64(sk_…:)``."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return None


def parse_form(raw: bytes) -> dict[str, Any]:
    """A form-encoded body → nested params; 400 if it is not form encoding."""
    try:
        pairs = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=bool(raw.strip()))
    except (UnicodeDecodeError, ValueError):
        raise invalid("Invalid request body: expected application/x-www-form-urlencoded") from None
    return nest(pairs)


def nest(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """``[("metadata[a]", "1"), ("expand[0]", "x")]`` → ``{"metadata": {"a": "1"},
    "expand": ["x"]}``; raises 400 on a malformed key."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if not match:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part or str(len(node)), {})
            if not isinstance(node, dict):
                raise invalid(f"Invalid parameter: {key}", param=key)
        last = parts[-1] or str(len(node))
        node[last] = value
    nested: dict[str, Any] = {k: _lists(v) for k, v in root.items()}
    return nested


def _lists(node: Any) -> Any:
    """Dicts whose keys are all 0..n-1 become lists (Stripe's indexed arrays)."""
    if not isinstance(node, dict):
        return node
    node = {k: _lists(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def text(params: dict[str, Any], name: str, *, max_length: int = 5000) -> str | None:
    """An optional string parameter (``""`` counts as absent)."""
    value = params.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {name}", param=name)
    if len(value) > max_length:
        raise invalid(f"Invalid {name}: must be at most {max_length} characters", param=name)
    return value


def integer(params: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    """An integer parameter (minor units for amounts): decimal digits only."""
    value = params.get(name)
    if value in (None, ""):
        if required:
            raise missing(name)
        return None
    if not isinstance(value, str) or not re.fullmatch(r"-?\d{1,18}", value.strip()):
        raise invalid(f"Invalid integer: {value}", param=name, code="parameter_invalid_integer")
    return int(value)


def boolean(params: dict[str, Any], name: str) -> bool:
    value = params.get(name)
    if value in (None, "", "false"):
        return False
    if value == "true":
        return True
    raise invalid(f"Invalid boolean: {value}", param=name)


def choice(params: dict[str, Any], name: str, allowed: Iterable[str], default: str | None) -> str:
    value = text(params, name) or default
    options = tuple(allowed)
    if value is None:
        raise missing(name)
    if value not in options:
        raise invalid(f"Invalid {name}: must be one of {', '.join(options)}", param=name)
    return value


def metadata(params: dict[str, Any]) -> dict[str, str] | None:
    """``metadata[k]=v`` pairs: at most 50 keys of ≤ 40 chars, values ≤ 500 chars (Stripe's
    limits); ``metadata=`` (empty) clears, returned as ``{}``."""
    value = params.get("metadata")
    if value is None:
        return None
    if value == "":
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise invalid("Invalid metadata: must be a hash of strings", param="metadata")
    if len(value) > 50:
        raise invalid("Invalid metadata: at most 50 keys", param="metadata")
    for k, v in value.items():
        if len(k) > 40 or len(v) > 500:
            raise invalid(f"Invalid metadata[{k}]: key or value too long", param=f"metadata[{k}]")
    return dict(value)


def expansions(params: dict[str, Any]) -> set[str]:
    """``expand[]``: the paths to expand (``latest_charge``, ``latest_charge.balance_transaction``
    …); a single string is accepted too."""
    value = params.get("expand")
    if value is None:
        return set()
    items = value if isinstance(value, list) else [value]
    return {str(v) for v in items if isinstance(v, str) and v}
