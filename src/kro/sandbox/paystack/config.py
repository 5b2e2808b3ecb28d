"""Configuration of the Paystack simulator. The lead builds it from ``kro.settings``.

Amounts are kobo (minor units); durations are seconds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kro.sandbox.paystack.data import (
    DEFAULT_TEST_ACCOUNTS,
    FAILING_ACCOUNT_NUMBER,
    REVERSING_ACCOUNT_NUMBER,
)

DEFAULT_SECRET_KEY = "sk_test_kro_sandbox_0000000000000000000000"

# Paystack test mode retries an unacknowledged webhook hourly for 10 hours
# (paystack.com/docs/payments/webhooks; live mode: every 3 min for 4 tries, then hourly for 72 h).
TEST_MODE_RETRY_SCHEDULE: tuple[float, ...] = (3600.0,) * 10

# Paystack NGN transfer fees: ₦10 up to ₦5,000, ₦25 up to ₦50,000, ₦50 above
# (paystack.com/pricing). Pairs of (upper bound inclusive in kobo or None, fee in kobo).
DEFAULT_TRANSFER_FEE_TIERS: tuple[tuple[int | None, int], ...] = (
    (500_000, 1_000),
    (5_000_000, 2_500),
    (None, 5_000),
)


class PaystackSandboxConfig(BaseModel):
    """Everything the simulator needs; immutable once built.

    - ``database_url``: its own database (default a separate SQLite file), created with
      ``create_all`` at start.
    - ``secret_keys``: Bearer keys accepted; each key is its own integration (merchant), whose
      objects it alone sees and whose webhooks are signed with that key.
    - ``public_base_url``: where the simulator is reachable from a browser, e.g.
      ``http://127.0.0.1:8000/sandbox/paystack``; ``authorization_url`` is
      ``{public_base_url}/checkout/{access_code}``.
    - ``webhook_url``: where webhooks are POSTed; empty = keep them queued, send nothing.
    - fee rule of Paystack Nigeria local cards: ``percent_bps`` of the amount plus ``flat``,
      the flat part waived below ``flat_waived_below``, the total capped at ``cap``.
    - ``webhook_retry_schedule``: seconds to wait before each retry of an unacknowledged
      webhook (one entry per retry); ``webhook_timeout``: seconds per delivery attempt.
    - ``test_accounts``: 10-digit account number → account name, valid at every listed bank.
      Transfers to ``failing_account_number`` settle ``failed``; to
      ``reversing_account_number`` they settle ``reversed``.
    - ``transfer_settle_after`` / ``refund_process_after``: seconds before the background loop
      settles a pending transfer or processes a pending refund; ``poll_interval``: loop period;
      ``startup_delay``: wait before the first pass, so that a host serving its own webhook
      endpoint is listening before queued webhooks are sent (else they wait a whole retry).
    - ``initial_balance``: starting Paystack balance per integration and currency (kobo).
    - ``control_requires_key``: make the ``/_sandbox`` control endpoints demand a secret key
      (set it wherever the sandbox is reachable by people who should not drive it).
    """

    model_config = ConfigDict(frozen=True)

    database_url: str = "sqlite+aiosqlite:///./var/sandbox.db"
    secret_keys: list[str] = Field(default_factory=lambda: [DEFAULT_SECRET_KEY], min_length=1)
    public_base_url: str = "http://127.0.0.1:8000/sandbox/paystack"
    webhook_url: str = ""
    business_name: str = "KRO Sandbox Merchant"
    merchant_email: str = "merchant@sandbox.kro.test"
    domain: str = "test"
    currencies: list[str] = Field(default_factory=lambda: ["NGN", "USD", "GHS"])

    percent_bps: int = 150
    flat: int = 10_000
    flat_waived_below: int = 250_000
    cap: int = 200_000
    transfer_fee_tiers: tuple[tuple[int | None, int], ...] = DEFAULT_TRANSFER_FEE_TIERS

    webhook_retry_schedule: tuple[float, ...] = TEST_MODE_RETRY_SCHEDULE
    webhook_timeout: float = 30.0
    poll_interval: float = 0.5
    startup_delay: float = 1.0
    transfer_settle_after: float = 1.0
    refund_process_after: float = 2.0

    test_accounts: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TEST_ACCOUNTS))
    failing_account_number: str = FAILING_ACCOUNT_NUMBER
    reversing_account_number: str = REVERSING_ACCOUNT_NUMBER
    initial_balance: int = 1_000_000_000_00
    control_requires_key: bool = False

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")
