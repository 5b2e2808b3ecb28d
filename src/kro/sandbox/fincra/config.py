"""Configuration of the Fincra simulator. The lead builds it from ``kro.settings``.

Amounts are minor units (kobo for NGN); durations are seconds. Fincra itself speaks major
units; the simulator converts only at its edges.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_SECRET_KEY = "sk_test_kro_sandbox_fincra_0000000000000000"
DEFAULT_PUBLIC_KEY = "pk_test_kro_sandbox_fincra_0000000000000000"
DEFAULT_BUSINESS_ID = "64f1c9a0b1c2d3e4f5a6b7c8"
DEFAULT_WEBHOOK_SECRET = "kro_sandbox_fincra_webhook_secret_000000"

# Fincra does not publish its webhook retry schedule (providers.md 5.1 [U]; a community
# question asks about it). This one backs off from a minute to hourly over about a day.
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (60.0, 300.0, 900.0, 1800.0) + (3600.0,) * 20

# Checkout currencies (docs.fincra.com/docs/checkout-redirect, "Supported currencies").
CHECKOUT_CURRENCIES = ("NGN", "USD", "GHS", "KES", "UGX", "ZAR", "ZMW")


class FincraMerchant(BaseModel):
    """One Fincra business: its three keys and its business id. Fincra issues a secret key
    (``api-key``), a public key (``x-pub-key``) and a webhook secret ("encryption") key per
    environment (providers.md 5.1)."""

    model_config = ConfigDict(frozen=True)

    business_id: str = DEFAULT_BUSINESS_ID
    secret_key: str = DEFAULT_SECRET_KEY
    public_key: str = DEFAULT_PUBLIC_KEY
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    business_name: str = "KRO Sandbox Merchant"


class FincraSandboxConfig(BaseModel):
    """Everything the simulator needs; immutable once built.

    - ``database_url``: its own database (its tables are ``fincra_*``, so it may share one
      with other simulators), created with ``create_all`` at start.
    - ``merchants``: the businesses the sandbox knows; each sees only its own checkouts and
      its webhooks are signed with its own webhook secret.
    - ``public_base_url``: where a browser reaches the simulator; the checkout ``link`` is
      ``{public_base_url}/pay/{reference}``.
    - ``webhook_url``: where ``charge.successful`` is POSTed; empty = keep webhooks queued.
    - collection fee: ``fee_bps`` of the amount, capped at ``fee_cap`` (minor units, 0 = no
      cap), plus VAT of ``vat_bps`` on it; Fincra reports ``fee`` (VAT included) and ``vat``.
      The rates are assumptions [U]: Fincra's pricing is per merchant.
    - ``webhook_retry_schedule``: seconds before each retry of a webhook that did not get a
      2xx; ``webhook_timeout``: seconds per attempt.
    - ``poll_interval``: loop period; ``startup_delay``: wait before the first pass, so that a
      host serving its own webhook endpoint is listening before queued webhooks go out.
    - ``control_requires_auth``: make ``/_sandbox`` demand an ``api-key`` too.
    """

    model_config = ConfigDict(frozen=True)

    database_url: str = "sqlite+aiosqlite:///./var/sandbox.db"
    merchants: list[FincraMerchant] = Field(
        default_factory=lambda: [FincraMerchant()], min_length=1
    )
    public_base_url: str = "http://127.0.0.1:8000/sandbox/fincra"
    webhook_url: str = ""
    currencies: tuple[str, ...] = CHECKOUT_CURRENCIES

    fee_bps: int = Field(140, ge=0, le=10_000)
    fee_cap: int = Field(200_000, ge=0)
    vat_bps: int = Field(750, ge=0, le=10_000)

    webhook_retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    webhook_timeout: float = 30.0
    poll_interval: float = 0.5
    startup_delay: float = 1.0
    control_requires_auth: bool = False

    def by_secret_key(self, key: str) -> FincraMerchant | None:
        return next((m for m in self.merchants if m.secret_key == key), None)

    def by_business_id(self, business_id: str) -> FincraMerchant | None:
        return next((m for m in self.merchants if m.business_id == business_id), None)
