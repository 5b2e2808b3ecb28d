"""Configuration of the messaging simulators (SendGrid, Termii, Twilio, Telnyx).

The lead builds it from ``kro.settings`` so that the platform's keys are the ones accepted.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_SENDGRID_KEY = "SG.kro-sandbox-key"
DEFAULT_TERMII_KEY = "kro-termii-sandbox-key"
DEFAULT_TWILIO_SID = "AC00000000000000000000000000000000"
DEFAULT_TWILIO_TOKEN = "kro-twilio-sandbox-token"
DEFAULT_TELNYX_KEY = "KEYkro-telnyx-sandbox-key"


class MessagingSandboxConfig(BaseModel):
    """Everything the messaging simulators need; immutable once built.

    - ``database_url``: the sandbox's own database (shared with the other simulators is fine:
      the tables are ``messaging_*``), created with ``create_all`` at start.
    - ``sendgrid_api_keys`` / ``termii_api_keys`` / ``telnyx_api_keys``: keys accepted.
    - ``twilio_accounts``: Account SID → Auth Token accepted (HTTP Basic).
    - ``public_base_url``: where the sandbox is reachable, e.g.
      ``http://127.0.0.1:8000/sandbox/messaging`` (links on the inbox page).
    """

    model_config = ConfigDict(frozen=True)

    database_url: str = "sqlite+aiosqlite:///./var/sandbox.db"
    public_base_url: str = "http://127.0.0.1:8000/sandbox/messaging"
    sendgrid_api_keys: list[str] = Field(default_factory=lambda: [DEFAULT_SENDGRID_KEY])
    termii_api_keys: list[str] = Field(default_factory=lambda: [DEFAULT_TERMII_KEY])
    twilio_accounts: dict[str, str] = Field(
        default_factory=lambda: {DEFAULT_TWILIO_SID: DEFAULT_TWILIO_TOKEN}
    )
    telnyx_api_keys: list[str] = Field(default_factory=lambda: [DEFAULT_TELNYX_KEY])
