"""Configuration of the Providus simulator. The lead builds it from ``kro.settings``.

Amounts are kobo (minor units); durations are seconds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

# A client id/secret pair of the sandbox's default merchant (any strings work; Providus issues
# a base64-looking client id and a hex secret).
DEFAULT_CLIENT_ID = "a3JvX3NhbmRib3hfcHJvdmlkdXM="
DEFAULT_CLIENT_SECRET = "kro_sandbox_providus_secret_000000000000"

# A dynamic account lives 10 minutes unless Providus configures the merchant otherwise, up to
# 48 hours (fussion-integrator/providus_api_doc, create-dynamic-account).
DEFAULT_DYNAMIC_VALIDITY = 600.0
MAX_DYNAMIC_VALIDITY = 48 * 3600.0

# Providus does not publish its notification retry schedule [U]; this one backs off from a
# minute to hourly over about a day.
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (60.0, 300.0, 900.0, 1800.0) + (3600.0,) * 20


class ProvidusSandboxConfig(BaseModel):
    """Everything the simulator needs; immutable once built.

    - ``database_url``: its own database (may be shared with other simulators: its tables are
      ``providus_*``), created with ``create_all`` at start.
    - ``clients``: ``client_id → client_secret`` of each merchant. Requests must carry
      ``Client-Id`` and ``X-Auth-Signature`` (upper-case hex SHA-512 of
      ``"client_id:client_secret"``); notifications to the merchant carry the same headers.
    - ``notification_url``: where settlement notifications are POSTed; empty = keep them
      queued, send nothing.
    - ``dynamic_account_validity``: seconds a dynamic account accepts a transfer (10 min by
      default, at most 48 h).
    - collection fee charged to the merchant on each transfer in: ``fee_percent_bps`` of the
      amount, capped at ``fee_cap`` (0 = no cap), plus VAT of ``vat_bps`` on the fee; the
      ``settledAmount`` is what is left.
    - ``notification_retry_schedule``: seconds before each retry of a notification the merchant
      did not acknowledge (HTTP 200 with ``responseCode`` ``00`` or ``01``);
      ``notification_timeout``: seconds per attempt.
    - ``poll_interval``: loop period; ``startup_delay``: wait before the first pass, so that a
      host serving its own endpoint is listening before queued notifications are sent.
    - ``control_requires_auth``: make ``/_sandbox`` demand the client headers too.
    """

    model_config = ConfigDict(frozen=True)

    database_url: str = "sqlite+aiosqlite:///./var/sandbox.db"
    clients: dict[str, str] = Field(
        default_factory=lambda: {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}, min_length=1
    )
    notification_url: str = ""
    dynamic_account_validity: float = Field(DEFAULT_DYNAMIC_VALIDITY, gt=0)
    account_prefix: str = Field("99", pattern=r"^\d{1,4}$")

    fee_percent_bps: int = Field(50, ge=0, le=10_000)
    fee_cap: int = Field(20_000, ge=0)
    vat_bps: int = Field(750, ge=0, le=10_000)

    notification_retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    notification_timeout: float = 30.0
    poll_interval: float = 0.5
    startup_delay: float = 1.0
    control_requires_auth: bool = False

    @field_validator("dynamic_account_validity")
    @classmethod
    def _at_most_48_hours(cls, value: float) -> float:
        if value > MAX_DYNAMIC_VALIDITY:
            raise ValueError("a dynamic account lives at most 48 hours")
        return value

    @property
    def default_client(self) -> str:
        """The first client id: the merchant of unauthenticated control calls."""
        return next(iter(self.clients))
