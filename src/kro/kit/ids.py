"""Prefixed, sortable identifiers: ``usr_01jd…``, ``ord_01jd…``, ``trf_01jd…``.

The body is a ULID (48-bit millisecond timestamp + 80 random bits) in lower-case Crockford
base32, so ids sort by creation time as plain strings and are safe in URLs.
"""

from __future__ import annotations

import re

from ulid import ULID

_PREFIX = re.compile(r"^[a-z][a-z0-9]{1,7}$")
_ID = re.compile(r"^([a-z][a-z0-9]{1,7})_([0-9a-z]{26})$")


def new_id(prefix: str) -> str:
    """Return a new id ``"{prefix}_{ulid}"``; ``prefix`` is 2–8 lower-case letters/digits."""
    if not _PREFIX.match(prefix):
        raise ValueError(f"bad id prefix {prefix!r}")
    return f"{prefix}_{str(ULID()).lower()}"


def id_prefix(value: str) -> str | None:
    """The prefix of a well-formed id, or ``None`` if ``value`` is not one."""
    m = _ID.match(value)
    return m.group(1) if m else None
