"""Configuration of the Flutterwave v3 simulator. The lead builds it from ``kro.settings``.

Amounts are minor units (kobo for NGN); durations are seconds. Flutterwave itself speaks
major units (``"amount": 100`` is ₦100); the simulator converts only at its edges.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_SECRET_KEY = "FLWSECK_TEST-kro0sandbox0flutterwave0000000000-X"
DEFAULT_PUBLIC_KEY = "FLWPUBK_TEST-kro0sandbox0flutterwave0000000000-X"
DEFAULT_SECRET_HASH = "kro-sandbox-flutterwave-secret-hash"

# Flutterwave lets a merchant turn webhook retries on in the dashboard but does not publish the
# schedule (providers.md 2 [U]). Assumed: three retries, half an hour apart.
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (1800.0, 1800.0, 1800.0)

# Standard checkout currencies we simulate (a subset of Flutterwave's list).
CHECKOUT_CURRENCIES = (
    "NGN", "USD", "EUR", "GBP", "GHS", "KES", "ZAR", "UGX", "TZS", "RWF", "XOF", "XAF",
)  # fmt: skip


class FlutterwaveMerchant(BaseModel):
    """One Flutterwave account: its API keys and the dashboard **secret hash**.

    ``secret_key`` (``FLWSECK_TEST-…``) authenticates API calls as a Bearer token;
    ``public_key`` (``FLWPUBK_TEST-…``) is shown for completeness (inline checkout uses it);
    ``secret_hash`` is what the merchant typed in the dashboard: sent as the ``verif-hash``
    header and the key of ``flutterwave-signature``. ``account_id`` appears in transaction
    data as ``account_id``.
    """

    model_config = ConfigDict(frozen=True)

    secret_key: str = DEFAULT_SECRET_KEY
    public_key: str = DEFAULT_PUBLIC_KEY
    secret_hash: str = DEFAULT_SECRET_HASH
    business_name: str = "KRO Sandbox Merchant"
    account_id: int = 100001


class FlutterwaveSandboxConfig(BaseModel):
    """Everything the simulator needs; immutable once built.

    - ``database_url``: its own database (tables ``flutterwave_*``, created with
      ``create_all``), which it may share with other simulators.
    - ``merchants``: the accounts it knows; each sees only its own transactions and refunds.
    - ``public_base_url``: where a browser reaches the simulator (the mount, e.g.
      ``http://127.0.0.1:8000/sandbox/flutterwave``); hosted links are
      ``{public_base_url}/hosted/pay/{token}``.
    - ``webhook_url``: where webhooks are POSTed; empty = keep them queued, send nothing.
    - fee on a collection (``app_fee``): ``fee_bps`` of the amount (140 = 1.4 %, Flutterwave's
      published rate for Nigerian local cards), capped at ``fee_cap`` minor units for NGN only
      (0 = no cap). Assumption [U]: one rate for every currency; real pricing varies by method,
      country and merchant. The merchant bears the fee: ``charged_amount == amount`` and
      ``amount_settled == amount - app_fee``.
    - ``refund_delay``: seconds a refund stays ``pending`` before the loop marks it
      ``completed`` (0: ``completed`` at once, as the docs' sample answer shows).
    - ``list_page_size``: rows per page of ``GET /v3/transactions`` [U: assumed 10].
    - ``webhook_retry_schedule``: seconds before each retry of a webhook that got no 2xx
      (assumption, see :data:`DEFAULT_RETRY_SCHEDULE`); ``webhook_timeout``: seconds per try.
    - ``poll_interval``: loop period; ``startup_delay``: wait before its first pass, so that a
      host serving its own webhook endpoint is listening first.
    """

    model_config = ConfigDict(frozen=True)

    database_url: str = "sqlite+aiosqlite:///./var/sandbox.db"
    merchants: list[FlutterwaveMerchant] = Field(
        default_factory=lambda: [FlutterwaveMerchant()], min_length=1
    )
    public_base_url: str = "http://127.0.0.1:8000/sandbox/flutterwave"
    webhook_url: str = ""
    currencies: tuple[str, ...] = CHECKOUT_CURRENCIES

    fee_bps: int = Field(140, ge=0, le=10_000)
    fee_cap: int = Field(200_000, ge=0)
    refund_delay: float = Field(30.0, ge=0.0)
    list_page_size: int = Field(10, ge=1, le=1000)

    webhook_retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    webhook_timeout: float = 30.0
    poll_interval: float = 0.5
    startup_delay: float = 1.0

    def by_account_id(self, account_id: int) -> FlutterwaveMerchant | None:
        return next((m for m in self.merchants if m.account_id == account_id), None)
