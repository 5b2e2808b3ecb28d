"""Configuration of the reCAPTCHA simulator. The lead builds it from ``kro.settings``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_SECRET_KEY = "kro-sandbox-recaptcha-secret"


class RecaptchaSandboxConfig(BaseModel):
    """Everything the simulator needs; immutable once built.

    - ``secret_keys``: site secrets accepted (``invalid-input-secret`` for others).
    - ``hostname``: the site the challenge was "solved" on, reported in successes.
    - ``version``: 2 (checkbox) or 3 (score-based: successes carry ``score`` and ``action``).
    - ``single_use``: refuse a token seen before with ``timeout-or-duplicate`` (Google's
      rule); ``remembered_tokens`` bounds the memory of seen tokens.
    """

    model_config = ConfigDict(frozen=True)

    secret_keys: list[str] = Field(default_factory=lambda: [DEFAULT_SECRET_KEY], min_length=1)
    hostname: str = "localhost"
    version: Literal[2, 3] = 2
    single_use: bool = True
    remembered_tokens: int = Field(100_000, ge=1)
