"""The one settings object (env prefix ``KRO_``). Its defaults are the embedded default:
SQLite under ``./var``, the worker in-process, the sandbox providers mounted at
``/sandbox/<provider>`` and the adapters pointed at them.

Every field is documented in the README; nothing else in the code reads ``os.environ``.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-in-production-0123456789"
DEV_ADMIN_PASSWORD = "kro-admin-dev-password"
DEV_ADMIN_JWT_SECRET = "dev-only-admin-jwt-secret-change-me-0123456789abcdef"
DEV_WEB_SECRET = "dev-only-web-secret-change-me-in-production-0123456789ab"
# Dojah's simulator's key (kro.sandbox): production refuses to start with it.
DEV_DOJAH_SECRET_KEY = "test_sk_kro_sandbox"
# A known 32-byte key: for development only; production refuses to start with it.
DEV_SECRETS_KEYRING = "dev1:ZGV2LW9ubHktc2VjcmV0cy1rZXktMzItYnl0ZXMhISE="


class Settings(BaseSettings):
    """Runtime configuration. Amounts are minor units; durations are seconds."""

    model_config = SettingsConfigDict(env_prefix="KRO_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = Field("", description="Public URL of this server; default http://host:port")
    database_url: str = "sqlite+aiosqlite:///./var/kro.db"
    db_pool_size: int = 10
    log_level: str = "INFO"
    log_json: bool = False

    # Identity
    jwt_secret: str = DEV_JWT_SECRET
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 30 * 24 * 3600
    # An admin created at start-up if missing (development default; set both or neither)
    admin_email: str = "admin@kro.example.com"
    admin_password: str = DEV_ADMIN_PASSWORD

    # Administrators: their own token key (never the users'), TOTP issuer, payout approvals
    admin_jwt_secret: str = DEV_ADMIN_JWT_SECRET
    admin_token_ttl: int = 30 * 60
    admin_totp_issuer: str = "KRO"
    payout_approval_threshold: int = Field(
        50_000_000, ge=0, description="Payouts above this (minor units) wait for an admin"
    )

    # File storage (dispute evidence): "local" under storage_path, or "s3" (any S3-compatible)
    storage_backend: Literal["local", "s3"] = "local"
    storage_path: str = "./var/files"
    s3_bucket: str = "kro"
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    evidence_max_bytes: int = 10 * 1024 * 1024

    # Jobs
    worker_in_process: bool = True
    worker_concurrency: int = 4
    worker_poll_interval: float = 0.2
    job_max_attempts: int = 8
    job_backoff_base: float = 2.0
    job_backoff_max: float = 3600.0
    job_lease_seconds: int = 300
    job_extra_modules: str = Field(
        "", description="Comma-separated extra modules with job handlers (test-only handlers)"
    )
    job_retention_days: int = 7
    worker_schedule_periodic: bool = True
    worker_shutdown_timeout: float = 30.0

    # Paystack adapter (points at the mounted sandbox unless set)
    paystack_base_url: str = ""
    paystack_secret_key: str = "sk_test_kro_sandbox_0000000000000000000000"
    # Below SQLite's 30 s busy timeout, so a slow provider cannot starve other writers.
    paystack_timeout: float = 20.0

    # Sandbox (the simulators of the providers)
    sandbox_enabled: bool = True
    sandbox_database_url: str = "sqlite+aiosqlite:///./var/sandbox.db"
    sandbox_webhook_url: str = Field("", description="Where the sandbox posts Paystack webhooks")
    sandbox_fee_percent_bps: int = 150
    sandbox_fee_flat: int = 10_000
    sandbox_fee_flat_waived_below: int = 250_000
    sandbox_fee_cap: int = 200_000

    # Escrow fees: percentage (basis points), flat (minor units), cap (minor units, 0 = none)
    escrow_fee_percent_bps: int = Field(150, ge=0, le=10_000)
    escrow_fee_flat: int = Field(0, ge=0)
    escrow_fee_cap: int = Field(0, ge=0)
    escrow_fee_payer: Literal["buyer", "seller", "split"] = "seller"
    escrow_order_expiry: int = 7 * 24 * 3600

    # Providus bank transfers (dynamic virtual accounts): the adapter points at the mounted
    # sandbox, whose settlement notifications come to /v1/webhooks/providus, unless set.
    # ``providus_account_validity``: seconds a dynamic account takes a transfer (Providus: 10
    # min by default, up to 48 h, configured per merchant); the sandbox shares the Paystack
    # simulator's database unless ``providus_sandbox_database_url`` is set.
    providus_base_url: str = ""
    providus_client_id: str = "a3JvX3NhbmRib3hfcHJvdmlkdXM="
    providus_client_secret: str = "kro_sandbox_providus_secret_000000000000"
    providus_timeout: float = 20.0
    providus_account_validity: int = Field(600, ge=60, le=48 * 3600)
    providus_sandbox_database_url: str = ""
    providus_notification_url: str = Field(
        "", description="Where the Providus sandbox posts settlement notifications"
    )

    # ---- Notifications (issue 4 s.5) and sign-in extras (s.7) -------------------------------
    # Provider chains are comma-separated, tried in order; the next one is used when one fails
    # or times out. Base URLs left empty point at the mounted messaging sandbox
    # ({base_url}/sandbox/messaging/<provider>); set them to the real APIs in production:
    # https://api.sendgrid.com, https://api.ng.termii.com, https://api.twilio.com,
    # https://api.telnyx.com.
    sms_providers: str = "termii,twilio,telnyx"
    whatsapp_providers: str = "termii,twilio"
    email_providers: str = Field("sendgrid", description="sendgrid and/or smtp, in order")
    notification_timeout: float = 10.0
    email_from: str = "no-reply@kro.example.com"
    email_from_name: str = "KRO"
    sendgrid_base_url: str = ""
    sendgrid_api_key: str = "SG.kro-sandbox-key"
    termii_base_url: str = ""
    termii_api_key: str = "kro-termii-sandbox-key"
    termii_sender_id: str = "KRO"
    termii_sms_channel: Literal["generic", "dnd"] = "dnd"
    termii_whatsapp_device: str = "KRO"
    twilio_base_url: str = ""
    twilio_account_sid: str = "AC00000000000000000000000000000000"
    twilio_auth_token: str = "kro-twilio-sandbox-token"
    twilio_from_number: str = "+15005550006"
    twilio_whatsapp_from: str = "+14155238886"
    telnyx_base_url: str = ""
    telnyx_api_key: str = "KEYkro-telnyx-sandbox-key"
    telnyx_from_number: str = "+15005550007"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    smtp_use_tls: bool = False
    # Phone verification: 6-digit code, TTL and limits (seconds / counts)
    phone_code_ttl: int = 10 * 60
    phone_code_max_attempts: int = 5
    phone_code_resend_interval: int = 60
    phone_code_max_per_hour: int = 5
    phone_default_country_code: str = "234"
    # Magic links: single-use sign-in links by email (seconds)
    magic_link_ttl: int = 15 * 60
    # ---- end of notifications / sign-in extras ---------------------------------------------

    # ---- merchant API (seed 003): provider credentials at rest, routing, failover ----------
    # AES-256-GCM keyring for provider credentials: "<key id>:<base64 of 32 bytes>", comma-
    # separated; new secrets are sealed with ``secrets_current_key`` (default: the first).
    secrets_keyring: str = DEV_SECRETS_KEYRING
    secrets_current_key: str = ""
    # Where live-mode payments go (test mode always goes to the mounted sandbox, or to
    # ``gateway_sandbox_base_url`` when set: "<url>/<provider>" is each simulator's root).
    paystack_live_base_url: str = "https://api.paystack.co"
    flutterwave_live_base_url: str = "https://api.flutterwave.com"
    stripe_live_base_url: str = "https://api.stripe.com"
    # Fincra's live host is not confirmed in its public docs (providers.md 5.1 [U]).
    fincra_live_base_url: str = "https://api.fincra.com"
    gateway_sandbox_base_url: str = ""
    gateway_provider_timeout: float = Field(20.0, description="Seconds a provider call may take")
    gateway_refund_poll: float = Field(30.0, description="Seconds between polls of a refund")
    # Circuit breaker per provider and mode: open after this many failures in a row, probe
    # again (half-open) after ``breaker_ttl`` seconds.
    breaker_threshold: int = 5
    breaker_ttl: float = 30.0
    # Reconciliation: how far back the periodic job looks (seconds) and how often it runs.
    reconcile_interval: int = 3600
    reconcile_lookback: int = 2 * 24 * 3600
    # The products' collections (kro.payments.platform): the platform's provider accounts in
    # the order routing tries them for each payment method, comma-separated
    # (``KRO_PAYMENTS_PROVIDERS=paystack,fincra,providus``).
    payments_providers: Annotated[list[str], NoDecode] = ["paystack", "fincra", "providus"]
    # Open payments (any product, any tenant) are asked about again: every tick while younger
    # than ``payments_verify_hot`` seconds, then hourly until ``payments_verify_horizon``.
    payments_verify_hot: int = 3600
    payments_verify_horizon: int = 7 * 24 * 3600
    # Sandbox credentials a test-mode provider configuration uses when none are given.
    flutterwave_sandbox_secret_key: str = "FLWSECK_TEST-kro0sandbox0000000000000000000000-X"
    flutterwave_sandbox_public_key: str = "FLWPUBK_TEST-kro0sandbox0000000000000000000000-X"
    flutterwave_sandbox_secret_hash: str = "kro-sandbox-flutterwave-secret-hash"
    stripe_sandbox_secret_key: str = "sk_test_kro_sandbox_stripe_000000000000000000"
    stripe_sandbox_publishable_key: str = "pk_test_kro_sandbox_stripe_000000000000000000"
    stripe_sandbox_webhook_secret: str = "whsec_kro_sandbox_stripe_0000000000000000000000"
    # ---- end of merchant API -----------------------------------------------------------------

    @field_validator("payments_providers", mode="before")
    @classmethod
    def _split_providers(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [name.strip().lower() for name in value.split(",") if name.strip()]
        return value

    @model_validator(mode="after")
    def _derive(self) -> Settings:
        if not self.base_url:
            self.base_url = f"http://{self.host}:{self.port}"
        self.base_url = self.base_url.rstrip("/")
        if not self.paystack_base_url:
            self.paystack_base_url = f"{self.base_url}/sandbox/paystack"
        if not self.sandbox_webhook_url:
            self.sandbox_webhook_url = f"{self.base_url}/v1/webhooks/paystack"
        if not self.providus_base_url:
            self.providus_base_url = f"{self.base_url}/sandbox/providus"
        if not self.providus_notification_url:
            self.providus_notification_url = f"{self.base_url}/v1/webhooks/providus"
        if not self.providus_sandbox_database_url:
            self.providus_sandbox_database_url = self.sandbox_database_url
        if not self.fincra_base_url:
            self.fincra_base_url = f"{self.base_url}/sandbox/fincra"
        if not self.fincra_webhook_url:
            self.fincra_webhook_url = f"{self.base_url}/v1/webhooks/fincra"
        if not self.fincra_sandbox_database_url:
            self.fincra_sandbox_database_url = self.sandbox_database_url
        for name in ("sendgrid", "termii", "twilio", "telnyx"):  # the messaging sandbox
            if not getattr(self, f"{name}_base_url"):
                setattr(self, f"{name}_base_url", f"{self.base_url}/sandbox/messaging/{name}")
        if self.env == "production" and self.jwt_secret == DEV_JWT_SECRET:
            raise ValueError("KRO_JWT_SECRET must be set in production")
        if self.env == "production" and self.admin_jwt_secret == DEV_ADMIN_JWT_SECRET:
            raise ValueError("KRO_ADMIN_JWT_SECRET must be set in production")
        if self.env == "production":
            self.webhook_internal_test_urls = False
        if self.env == "production" and self.secrets_keyring == DEV_SECRETS_KEYRING:
            raise ValueError("KRO_SECRETS_KEYRING must be set in production")
        if self.admin_jwt_secret == self.jwt_secret:
            raise ValueError("KRO_ADMIN_JWT_SECRET must differ from KRO_JWT_SECRET")
        if (
            self.env == "production"
            and self.admin_email
            and self.admin_password == DEV_ADMIN_PASSWORD
        ):
            raise ValueError("KRO_ADMIN_PASSWORD must be set (or KRO_ADMIN_EMAIL empty)")
        return self

    @cached_property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    # Realtime (Socket.IO at /socket.io, kro.realtime) and reCAPTCHA (kro.identity.captcha).
    # With redis_url set, every server process shares events through Redis (and a separate
    # `kro worker` publishes there); empty = one process, events in memory.
    redis_url: str = Field("", description="e.g. redis://127.0.0.1:6379/0; empty = in-process")
    realtime_channel: str = Field("kro-realtime", description="Redis pub/sub channel of events")
    realtime_cors_origins: str = Field(
        "", description="Comma-separated browser origins; empty = same origin only; * = any"
    )
    recaptcha_enabled: bool = False
    recaptcha_secret_key: str = "kro-sandbox-recaptcha-secret"  # the sandbox's; set in production
    recaptcha_base_url: str = Field(
        "", description="https://www.google.com in production; default the mounted sandbox"
    )
    recaptcha_timeout: float = 5.0
    recaptcha_min_score: float = Field(0.5, ge=0.0, le=1.0, description="reCAPTCHA v3 only")

    @model_validator(mode="after")
    def _derive_recaptcha(self) -> Settings:
        if not self.recaptcha_base_url:
            self.recaptcha_base_url = f"{self.base_url}/sandbox/recaptcha"
        self.recaptcha_base_url = self.recaptcha_base_url.rstrip("/")
        if (
            self.env == "production"
            and self.recaptcha_enabled
            and self.recaptcha_secret_key == "kro-sandbox-recaptcha-secret"
        ):
            raise ValueError("KRO_RECAPTCHA_SECRET_KEY must be set in production")
        return self

    # ---- Fincra checkout (card / bank transfer through Fincra's hosted checkout) -----------
    # The adapter points at the mounted sandbox ({base_url}/sandbox/fincra) unless
    # ``fincra_base_url`` is set (https://sandboxapi.fincra.com or https://api.fincra.com).
    # Requests carry ``api-key`` (secret key), ``x-pub-key`` (public key, checkout creation) and
    # ``x-business-id`` (verify); webhooks to /v1/webhooks/fincra are signed with the separate
    # webhook secret (encryption) key. The sandbox shares the Paystack simulator's database
    # unless ``fincra_sandbox_database_url`` is set.
    fincra_base_url: str = ""
    fincra_secret_key: str = "sk_test_kro_sandbox_fincra_0000000000000000"
    fincra_public_key: str = "pk_test_kro_sandbox_fincra_0000000000000000"
    fincra_business_id: str = "64f1c9a0b1c2d3e4f5a6b7c8"
    fincra_webhook_secret: str = "kro_sandbox_fincra_webhook_secret_000000"
    fincra_timeout: float = 20.0
    fincra_webhook_url: str = Field("", description="Where the Fincra sandbox posts webhooks")
    fincra_sandbox_database_url: str = ""
    # ---- end of Fincra ---------------------------------------------------------------------

    # ---- Tenants, API keys, idempotency and rate limits (issue 3 sections 1 and 3) ---------
    # A rotated API key keeps working for ``api_key_rotation_grace`` seconds (24 h). An
    # Idempotency-Key's first response is kept ``idempotency_ttl`` seconds (24 h); a request
    # still ``running`` after ``idempotency_lock_timeout`` seconds is taken to have died and a
    # retry may run. ``api_rate_limit`` applies per API key, in the ``limits`` library's
    # notation ("100/minute", "10/second"); counters live in Redis when ``redis_url`` is set.
    api_key_rotation_grace: int = Field(24 * 3600, ge=0)
    idempotency_ttl: int = Field(24 * 3600, ge=60)
    idempotency_lock_timeout: int = Field(120, ge=1)
    api_rate_limit: str = "100/minute"

    @model_validator(mode="after")
    def _check_rate_limit(self) -> Settings:
        from limits import parse  # validated at start-up, not at the first request

        try:
            parse(self.api_rate_limit)
        except ValueError as exc:
            raise ValueError(f"KRO_API_RATE_LIMIT is not a rate limit: {exc}") from exc
        return self

    # ---- end of tenants --------------------------------------------------------------------

    # ---- Outgoing customer webhooks (kro.webhooks; seed 003 section 4) ----------------------
    # One attempt may take ``webhook_timeout`` seconds (Standard Webhooks: 15–30 s). A rotated
    # endpoint secret keeps signing beside the new one for ``webhook_secret_rotation_grace``
    # seconds (24 h). An endpoint whose attempts have failed without a success for
    # ``webhook_disable_after`` seconds (5 days) is disabled and its tenant's owners are told.
    webhook_timeout: float = Field(15.0, gt=0, le=60)
    webhook_secret_rotation_grace: int = Field(24 * 3600, ge=0)
    webhook_disable_after: int = Field(5 * 24 * 3600, ge=60)
    # Test-mode endpoints on loopback/private hosts (a developer's machine). Always refused in
    # production: a merchant must not point our servers at our own network (SSRF).
    webhook_internal_test_urls: bool = True
    # ---- end of outgoing webhooks ----------------------------------------------------------

    # ---- Serving behind a proxy, shutting down (issue 13) --------------------------------------
    # ``forwarded_allow_ips``: the proxies (nginx) whose X-Forwarded-For / -Proto are believed,
    # so the audit log records the client's address, not the proxy's ("*" = any; never in
    # production unless the app is unreachable except through the proxy).
    # ``shutdown_grace``: seconds ``kro serve`` lets in-flight requests finish after SIGTERM
    # (it stops accepting at once); ``kro worker`` uses ``worker_shutdown_timeout``.
    forwarded_allow_ips: str = Field("127.0.0.1", description="Comma-separated proxy addresses")
    shutdown_grace: int = Field(30, ge=0, le=600)
    # Optional OpenTelemetry traces (seed 001): with ``otel_endpoint`` set (an OTLP/HTTP
    # collector, e.g. http://otel-collector:4318), requests, database queries and outgoing
    # HTTP calls are traced and exported in batches; empty = no tracing, no overhead.
    otel_endpoint: str = Field("", description="OTLP/HTTP collector base URL; empty = off")
    otel_service_name: str = Field("kro", description="service.name of the traces")

    # ---- Web pages (kro.web) ------------------------------------------------------------------
    # Signed-in browsers hold an opaque session cookie (HttpOnly, SameSite=Lax, Secure in
    # production) naming a ``web_sessions`` row; ``web_secret`` keys the CSRF tokens and the
    # flash cookie. A user session lasts ``web_session_ttl`` seconds, an admin's
    # ``web_admin_session_ttl``; both end after ``web_idle_timeout`` seconds unused.
    web_secret: str = DEV_WEB_SECRET
    web_session_ttl: int = Field(14 * 24 * 3600, ge=300)
    web_admin_session_ttl: int = Field(8 * 3600, ge=300)
    web_idle_timeout: int = Field(2 * 24 * 3600, ge=300)
    web_locale: str = Field("en_NG", description="Babel locale of money and dates on pages")
    web_timezone: str = Field("Africa/Lagos", description="Time zone of times shown on pages")
    web_vendor_path: str = Field(
        "./var/web-vendor", description="Browser libraries the setup installs (Socket.IO client)"
    )

    @model_validator(mode="after")
    def _check_web(self) -> Settings:
        if self.env == "production" and self.web_secret == DEV_WEB_SECRET:
            raise ValueError("KRO_WEB_SECRET must be set in production")
        return self

    # ---- end of web pages ----------------------------------------------------------------------

    # ---- Giving (kro.giving, issue 11) ----------------------------------------------------------
    # Donations: the smallest one, the preset buttons, the default platform tip (a share of the
    # donation the donor may change or remove; GoFundMe defaults near 15 %, we start lower).
    giving_min_donation: int = Field(10_000, ge=100, description="minor units; ₦100")
    giving_amount_presets: list[int] = Field(
        [200_000, 500_000, 1_000_000, 2_500_000], description="preset amounts, minor units"
    )
    giving_default_tip_bps: int = Field(1_000, ge=0, le=3_000, description="basis points")
    # Fee cover grossed up with Paystack Nigeria's local-card rule (paystack.com/pricing):
    # 1.5 % + ₦100, the ₦100 waived under ₦2,500, the fee capped at ₦2,000.
    giving_fee_percent_bps: int = Field(150, ge=0, le=10_000, description="basis points")
    giving_fee_flat: int = Field(10_000, ge=0, description="minor units")
    giving_fee_flat_waived_below: int = Field(250_000, ge=0, description="minor units")
    giving_fee_cap: int = Field(200_000, ge=0, description="minor units")
    # A donor may ask for a refund this long after giving (an admin approves).
    giving_refund_window: int = Field(30 * 24 * 3600, ge=0, description="seconds")
    # ---- end of giving ---------------------------------------------------------------------------

    # ---- Pensions (kro.pensions, issue 12) -------------------------------------------------------
    # Pension Reform Act 2014 as summarised in shared/reference/domains.md §4; rules marked
    # uncertain there are settings with the documented default.
    # Coverage: private employers with this many employees or more (PRA 2014; some sources say 5
    # or 15, the majority 3).
    pensions_coverage_threshold: int = Field(3, ge=1, description="employees")
    pensions_employee_rate_bps: int = Field(800, ge=0, le=10_000, description="basis points; 8 %")
    pensions_employer_rate_bps: int = Field(1_000, ge=0, le=10_000, description="basis points")
    # Employer bears all: the total must be at least this (NLPC: 20 %; Radix says 18 %).
    pensions_employer_bears_all_min_bps: int = Field(
        2_000, ge=0, le=10_000, description="basis points; uncertain source (20 % vs 18 %)"
    )
    # Pensionable emoluments: which monthly pay items count (the Act: at least basic + housing +
    # transport; the definition section itself was not seen).
    pensions_emolument_items: list[str] = Field(
        ["basic", "housing", "transport"], description="JSON list: basic, housing, transport, other"
    )
    # Remittance deadline: working days after the salary payment date (s.11(3)).
    pensions_remittance_working_days: int = Field(7, ge=0, le=60, description="working days")
    # Late penalty: per month or part of a month, of the unpaid contribution (s.11; "not less
    # than 2 %", subsection number uncertain).
    pensions_penalty_rate_bps: int = Field(200, ge=0, le=10_000, description="basis points")
    # GLI: cover of at least this many times annual total emoluments (s.4(5)).
    pensions_gli_multiple: int = Field(3, ge=1, le=20, description="times annual emoluments")
    # Remind the employer this long before the remittance deadline.
    pensions_reminder_before: int = Field(2 * 24 * 3600, ge=0, description="seconds")
    # Remita (SystemSpecs) eCollections: RRR generation and status (providers.md §4). Empty base
    # URL = the mounted simulator; the demo credentials are Remita's public test ones.
    remita_base_url: str = Field("", description="…/remita/exapp/api/v1/send/api; empty=sandbox")
    remita_merchant_id: str = Field("2547916", description="Remita merchantId")
    remita_service_type_id: str = Field("4430731", description="Remita serviceTypeId")
    remita_api_key: str = Field("1946", description="Remita apiKey (secret)")
    remita_timeout: float = Field(20.0, description="seconds")
    remita_sandbox_database_url: str = Field("", description="empty = sandbox_database_url")
    # PenCom's register (the read-only data service), simulated; empty = the mounted simulator.
    pencom_base_url: str = Field("", description="PenCom register API; empty = sandbox")
    pencom_timeout: float = Field(10.0, description="seconds")

    @model_validator(mode="after")
    def _derive_pensions(self) -> Settings:
        """Empty Remita / PenCom URLs point at the mounted simulators."""
        if not self.remita_base_url:
            self.remita_base_url = f"{self.base_url}/sandbox/remita/remita/exapp/api/v1/send/api"
        if not self.remita_sandbox_database_url:
            self.remita_sandbox_database_url = self.sandbox_database_url
        if not self.pencom_base_url:
            self.pencom_base_url = f"{self.base_url}/sandbox/pencom"
        return self

    # ---- end of pensions ---------------------------------------------------------------------

    # ---- Marketplace (issue 10) ----------------------------------------------------------------
    # Money (domains.md 5.1, Fiverr): the buyer pays price + a service fee (basis points, with
    # a minimum and a cap in minor units; 0 = none); the seller's commission in basis points
    # (a category may override it); earnings clear ``marketplace_clearance`` seconds after
    # completion. Timers in seconds: an unpaid order expires; a delivered order completes by
    # itself; a late order may be cancelled by the buyer after a grace; an order never
    # completed is cancelled and refunded at the hard limit counted from payment.
    marketplace_service_fee_bps: int = Field(550, ge=0, le=10_000, description="Buyer fee, bps")
    marketplace_service_fee_min: int = Field(0, ge=0, description="Buyer fee minimum, kobo")
    marketplace_service_fee_cap: int = Field(0, ge=0, description="Buyer fee cap, kobo; 0 none")
    marketplace_commission_bps: int = Field(2_000, ge=0, le=10_000, description="Seller cut, bps")
    marketplace_clearance: int = Field(14 * 24 * 3600, ge=0, description="Seconds to clear")
    marketplace_order_expiry: int = Field(3600, ge=60, description="Unpaid order expiry, s")
    marketplace_auto_complete: int = Field(3 * 24 * 3600, ge=60, description="After delivery, s")
    marketplace_late_grace: int = Field(24 * 3600, ge=0, description="Late → cancellable, s")
    marketplace_hard_limit: int = Field(30 * 24 * 3600, ge=3600, description="From payment, s")
    marketplace_review_window: int = Field(10 * 24 * 3600, ge=3600, description="Reviews, s")
    marketplace_kyc_to_list: bool = Field(False, description="Sellers verify before listing")
    # A mutual cancellation nobody answers is accepted after this (Fiverr: 48 h); the
    # platform's cut of a tip (basis points; 0: the seller gets all of it).
    marketplace_mutual_cancel_timeout: int = Field(48 * 3600, ge=60, description="Unanswered, s")
    marketplace_tip_commission_bps: int = Field(0, ge=0, le=10_000, description="Tip cut, bps")
    # Clearance per seller level (new, level_one, level_two, top_rated) in seconds, as JSON;
    # a level not named clears in ``marketplace_clearance``.
    marketplace_clearance_by_level: dict[str, int] = Field(
        default_factory=dict, description='e.g. {"top_rated": 604800}'
    )
    marketplace_review_services: bool = Field(False, description="New services await an admin")
    marketplace_image_max_bytes: int = Field(5 * 1024 * 1024, ge=1, description="Per image")
    kyc_name_match_bps: int = Field(8_500, ge=0, le=10_000, description="BVN name match, bps")
    kyc_document_max_bytes: int = Field(10 * 1024 * 1024, ge=1, description="ID document")
    # Dojah (identity verification for KYC): empty base URL = the mounted simulator.
    dojah_base_url: str = Field("", description="https://api.dojah.io; empty = sandbox")
    dojah_app_id: str = Field("kro-sandbox-app", description="Dojah AppId")
    dojah_secret_key: str = Field(DEV_DOJAH_SECRET_KEY, description="Dojah secret key")

    @model_validator(mode="after")
    def _derive_marketplace(self) -> Settings:
        """An empty Dojah URL points at the mounted simulator. Production refuses the
        simulator's secret key: identities would be "verified" by a simulator."""
        if not self.dojah_base_url:
            self.dojah_base_url = f"{self.base_url}/sandbox/dojah"
        if self.env == "production" and self.dojah_secret_key == DEV_DOJAH_SECRET_KEY:
            raise ValueError("KRO_DOJAH_SECRET_KEY must be set in production")
        return self

    # ---- end of marketplace --------------------------------------------------------------------


def get_settings() -> Settings:
    """Read settings from the environment (and ``.env``)."""
    return Settings()
