"""Reference data files shipped with the code (JSON beside this module), read by name. The
platform and the sandboxes (which may import only ``kro.kit``) read the same file, so a list
such as the licensed pension operators has one source."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> Any:
    """The parsed JSON file ``name`` (e.g. ``"pension_operators.json"``) of this package;
    read once. Callers must not mutate what they get."""
    return json.loads(resources.files("kro.kit.data").joinpath(name).read_text(encoding="utf-8"))
