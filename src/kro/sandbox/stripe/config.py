"""Configuration of the Stripe simulator. The lead builds it from ``kro.settings``.

Amounts are minor units (cents for USD, kobo for NGN), as Stripe itself speaks; durations are
seconds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_ACCOUNT_ID = "acct_1KroSandbox000000"
DEFAULT_SECRET_KEY = "sk_test_kro_sandbox_stripe_0000000000000000"
DEFAULT_PUBLISHABLE_KEY = "pk_test_kro_sandbox_stripe_0000000000000000"
DEFAULT_WEBHOOK_SECRET = "whsec_kro_sandbox_stripe_0000000000000000"

# Stripe: "In live mode, Stripe attempts to deliver a given event to your webhook endpoint for
# up to 3 days with an exponential back off" (docs.stripe.com/webhooks). The intervals are not
# published [U]; this one doubles from a minute to 12 h and ends after about 65 h.
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = tuple(60.0 * 2**n for n in range(10)) + (43_200.0,) * 4

# The API version the simulated events carry (``api_version``); the SDK's is sent as a header
# and ignored, as the sandbox serves one shape.
API_VERSION = "2025-10-29.clover"


class StripeAccount(BaseModel):
    """One Stripe account in test mode: its secret key (``sk_test_…``, the API's Basic user or
    Bearer token), its publishable key (``pk_test_…``) and the signing secret (``whsec_…``) of
    its one webhook endpoint. Each account sees only its own objects."""

    model_config = ConfigDict(frozen=True)

    account_id: str = DEFAULT_ACCOUNT_ID
    secret_key: str = DEFAULT_SECRET_KEY
    publishable_key: str = DEFAULT_PUBLISHABLE_KEY
    webhook_secret: str = DEFAULT_WEBHOOK_SECRET
    display_name: str = "KRO Sandbox Merchant"


class FeeRule(BaseModel):
    """Stripe's card fee for one currency: ``bps`` of the amount plus ``flat`` minor units
    (standard US pricing: 2.9 % + 30 ¢, stripe.com/pricing)."""

    model_config = ConfigDict(frozen=True)

    bps: int = Field(290, ge=0, le=10_000)
    flat: int = Field(30, ge=0)


class StripeSandboxConfig(BaseModel):
    """Everything the simulator needs; immutable once built.

    - ``database_url``: its own database (tables ``stripe_*``; may be shared with other
      simulators), created with ``create_all`` at start.
    - ``accounts``: the Stripe accounts it knows (keys and webhook secret each).
    - ``public_base_url``: where a browser reaches the simulator (the mount, e.g.
      ``http://127.0.0.1:8000/sandbox/stripe``); the hosted page of a PaymentIntent is
      ``{public_base_url}/pay/{pi_id}``.
    - ``webhook_url``: where events are POSTed; empty = keep them queued (``/_sandbox``).
    - ``fees``: fee rule per lower-case currency, ``default_fee`` for any other; the fee is
      charged on the captured amount and reported on the charge's balance transaction.
    - ``authorization_validity``: seconds an uncaptured authorization lives (Stripe: 7 days
      for online card payments); then the PaymentIntent is ``canceled``
      (``cancellation_reason: "automatic"``).
    - ``refund_settle_delay``: seconds a card refund stays ``pending`` before the background
      loop makes it ``succeeded`` (0 = at once, in the request).
    - ``webhook_retry_schedule``: seconds before each retry of a delivery without a 2xx;
      ``webhook_timeout``: seconds per attempt.
    - ``poll_interval``: loop period; ``startup_delay``: wait before the first pass.
    - ``idempotency_ttl``: seconds an ``Idempotency-Key`` is remembered (Stripe: at least 24 h).
    """

    model_config = ConfigDict(frozen=True)

    database_url: str = "sqlite+aiosqlite:///./var/sandbox.db"
    accounts: list[StripeAccount] = Field(default_factory=lambda: [StripeAccount()], min_length=1)
    public_base_url: str = "http://127.0.0.1:8000/sandbox/stripe"
    webhook_url: str = ""

    fees: dict[str, FeeRule] = Field(default_factory=lambda: {"usd": FeeRule()})
    default_fee: FeeRule = FeeRule()
    authorization_validity: float = Field(7 * 86_400.0, gt=0)
    refund_settle_delay: float = Field(2.0, ge=0)

    webhook_retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    webhook_timeout: float = 20.0
    poll_interval: float = 0.5
    startup_delay: float = 1.0
    idempotency_ttl: float = 86_400.0

    def by_secret_key(self, key: str) -> StripeAccount | None:
        return next((a for a in self.accounts if a.secret_key == key), None)

    def by_account_id(self, account_id: str) -> StripeAccount | None:
        return next((a for a in self.accounts if a.account_id == account_id), None)

    def fee_rule(self, currency: str) -> FeeRule:
        return self.fees.get(currency.lower(), self.default_fee)
