"""``create_app(settings)``: the FastAPI application with every router, the sandbox, the
in-process worker and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from kro import __version__
from kro.audit.pages import router as audit_pages
from kro.conversations.endpoints import router as conversations_router
from kro.devtools import router as dev_router
from kro.disputes.endpoints import router as disputes_router
from kro.disputes.pages import router as dispute_pages
from kro.escrow.admin_endpoints import router as escrow_admin_router
from kro.escrow.admin_endpoints import settings_router as escrow_settings_router
from kro.escrow.admin_pages import router as escrow_admin_pages
from kro.escrow.endpoints import router as escrow_router
from kro.escrow.endpoints import templates_router as escrow_templates_router
from kro.escrow.pages import router as escrow_pages
from kro.giving.endpoints import router as giving_router
from kro.giving.monthly.endpoints import router as giving_monthly_router
from kro.giving.monthly.pages import router as giving_monthly_pages
from kro.giving.pages import router as giving_pages
from kro.identity import service as identity_service
from kro.identity.admin_endpoints import router as identity_admin_router
from kro.identity.admin_pages import router as identity_admin_pages
from kro.identity.endpoints import router as identity_router
from kro.identity.pages import router as identity_pages
from kro.identity.verification_endpoints import router as verification_router
from kro.jobs.registry import extra_modules
from kro.jobs.worker import in_process_worker
from kro.kit import api, openapi
from kro.kit.db import create_engine, session_factory, unit_of_work
from kro.kit.http import close_shared_client
from kro.kit.logging import configure_logging
from kro.kit.ratelimit import RateLimiter
from kro.kit.routing import guarded
from kro.kit.storage import LocalStorage, S3Storage, Storage
from kro.kyc.endpoints import router as kyc_router
from kro.kyc.pages import router as kyc_pages
from kro.ledger.endpoints import router as ledger_router
from kro.ledger.pages import router as ledger_pages
from kro.marketplace.endpoints import router as marketplace_router
from kro.marketplace.pages import router as marketplace_pages
from kro.notifications.endpoints import router as notifications_router
from kro.notifications.pages import router as notification_pages
from kro.ops import tracing
from kro.ops.endpoints import router as ops_router
from kro.ops.metrics import instrument_http
from kro.payments.inbox.admin_endpoints import router as webhooks_admin_router
from kro.payments.inbox.admin_pages import router as webhooks_admin_pages
from kro.payments.inbox.endpoints import router as payments_router
from kro.payments.inbox.providus import router as providus_router
from kro.payments.merchant.balance_endpoints import router as tenant_balance_router
from kro.payments.merchant.endpoints import router as merchant_payments_router
from kro.payments.merchant.pages import router as merchant_payment_pages
from kro.payments.reconciliation.admin_endpoints import router as reconciliation_admin_router
from kro.payments.reconciliation.admin_pages import router as reconciliation_admin_pages
from kro.payments.reconciliation.endpoints import router as tenant_reconciliation_router
from kro.payments.refunds.admin_endpoints import router as manual_refunds_admin_router
from kro.payments.refunds.admin_pages import router as manual_refunds_admin_pages
from kro.payments.review.admin_endpoints import router as review_admin_router
from kro.payments.review.admin_pages import router as review_admin_pages
from kro.payouts.admin_endpoints import router as payouts_admin_router
from kro.payouts.admin_pages import router as payouts_admin_pages
from kro.payouts.endpoints import router as payouts_router
from kro.payouts.pages import router as payout_pages
from kro.pensions.endpoints import router as pensions_router
from kro.pensions.pages import router as pensions_pages
from kro.realtime import mount_realtime
from kro.registry import load_all_handlers
from kro.sandbox.fincra import FincraMerchant, FincraSandbox, FincraSandboxConfig
from kro.sandbox.flutterwave import (
    FlutterwaveMerchant,
    FlutterwaveSandbox,
    FlutterwaveSandboxConfig,
)
from kro.sandbox.messaging import MessagingSandbox, MessagingSandboxConfig
from kro.sandbox.paystack import PaystackSandbox, PaystackSandboxConfig
from kro.sandbox.providus import ProvidusSandbox, ProvidusSandboxConfig
from kro.sandbox.recaptcha import RecaptchaSandbox, RecaptchaSandboxConfig
from kro.sandbox.stripe import StripeAccount, StripeSandbox, StripeSandboxConfig
from kro.sandboxes import builders as extra_sandboxes
from kro.settings import Settings, get_settings
from kro.tenants.endpoints import invitations_router as tenant_invitations_router
from kro.tenants.endpoints import merchant_router as tenant_merchant_router
from kro.tenants.endpoints import router as tenants_router
from kro.tenants.pages import router as dashboard_pages
from kro.tenants.provider_endpoints import router as tenant_providers_router
from kro.tenants.webhook_endpoints import router as tenant_webhooks_router
from kro.web import install as install_web
from kro.web.pages import router as web_pages


def paystack_sandbox_config(settings: Settings) -> PaystackSandboxConfig:
    """The Paystack simulator as the embedded default runs it: our secret key is its merchant,
    its webhooks come to our ``/v1/webhooks/paystack``."""
    return PaystackSandboxConfig(
        database_url=settings.sandbox_database_url,
        secret_keys=[settings.paystack_secret_key],
        public_base_url=f"{settings.base_url}/sandbox/paystack",
        webhook_url=settings.sandbox_webhook_url,
        percent_bps=settings.sandbox_fee_percent_bps,
        flat=settings.sandbox_fee_flat,
        flat_waived_below=settings.sandbox_fee_flat_waived_below,
        cap=settings.sandbox_fee_cap,
    )


def providus_sandbox_config(settings: Settings) -> ProvidusSandboxConfig:
    """The Providus simulator: our client id is its merchant; its settlement notifications
    come to our ``/v1/webhooks/providus``."""
    return ProvidusSandboxConfig(
        database_url=settings.providus_sandbox_database_url,
        clients={settings.providus_client_id: settings.providus_client_secret},
        notification_url=settings.providus_notification_url,
        dynamic_account_validity=settings.providus_account_validity,
    )


def messaging_sandbox_config(settings: Settings) -> MessagingSandboxConfig:
    """SendGrid, Termii, Twilio and Telnyx simulators that accept our keys; every message
    they take is shown at ``/sandbox/messaging/inbox``."""
    return MessagingSandboxConfig(
        database_url=settings.sandbox_database_url,
        public_base_url=f"{settings.base_url}/sandbox/messaging",
        sendgrid_api_keys=[settings.sendgrid_api_key],
        termii_api_keys=[settings.termii_api_key],
        twilio_accounts={settings.twilio_account_sid: settings.twilio_auth_token},
        telnyx_api_keys=[settings.telnyx_api_key],
    )


def fincra_sandbox_config(settings: Settings) -> FincraSandboxConfig:
    """The Fincra simulator with our keys as its merchant; webhooks to /v1/webhooks/fincra."""
    return FincraSandboxConfig(
        database_url=settings.fincra_sandbox_database_url,
        merchants=[
            FincraMerchant(
                business_id=settings.fincra_business_id,
                secret_key=settings.fincra_secret_key,
                public_key=settings.fincra_public_key,
                webhook_secret=settings.fincra_webhook_secret,
            )
        ],
        public_base_url=f"{settings.base_url}/sandbox/fincra",
        webhook_url=settings.fincra_webhook_url,
    )


def flutterwave_sandbox_config(settings: Settings) -> FlutterwaveSandboxConfig:
    """The Flutterwave simulator: the platform's sandbox keys are its merchant (what a
    test-mode configuration without credentials uses); webhooks to /v1/webhooks/flutterwave."""
    return FlutterwaveSandboxConfig(
        database_url=settings.sandbox_database_url,
        merchants=[
            FlutterwaveMerchant(
                secret_key=settings.flutterwave_sandbox_secret_key,
                public_key=settings.flutterwave_sandbox_public_key,
                secret_hash=settings.flutterwave_sandbox_secret_hash,
            )
        ],
        public_base_url=f"{settings.base_url}/sandbox/flutterwave",
        webhook_url=f"{settings.base_url}/v1/webhooks/flutterwave",
        refund_delay=2.0,
    )


def stripe_sandbox_config(settings: Settings) -> StripeSandboxConfig:
    """The Stripe simulator: the platform's sandbox keys are its account; its webhook
    endpoint is our /v1/webhooks/stripe."""
    return StripeSandboxConfig(
        database_url=settings.sandbox_database_url,
        accounts=[
            StripeAccount(
                secret_key=settings.stripe_sandbox_secret_key,
                publishable_key=settings.stripe_sandbox_publishable_key,
                webhook_secret=settings.stripe_sandbox_webhook_secret,
            )
        ],
        public_base_url=f"{settings.base_url}/sandbox/stripe",
        webhook_url=f"{settings.base_url}/v1/webhooks/stripe",
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The engine, the sandbox and the worker start in the lifespan."""
    settings = settings or get_settings()
    configure_logging(json=settings.log_json, level=settings.log_level)
    load_all_handlers(extra_modules(settings))
    sandbox = (
        PaystackSandbox(paystack_sandbox_config(settings)) if settings.sandbox_enabled else None
    )
    providus = (
        ProvidusSandbox(providus_sandbox_config(settings)) if settings.sandbox_enabled else None
    )
    messaging = (
        MessagingSandbox(messaging_sandbox_config(settings)) if settings.sandbox_enabled else None
    )
    fincra = FincraSandbox(fincra_sandbox_config(settings)) if settings.sandbox_enabled else None
    flutterwave = (
        FlutterwaveSandbox(flutterwave_sandbox_config(settings))
        if settings.sandbox_enabled
        else None
    )
    stripe = StripeSandbox(stripe_sandbox_config(settings)) if settings.sandbox_enabled else None
    # The simulators added with the products (kro.sandboxes): KYC, Remita, PenCom's register.
    simulators = [sim for build in extra_sandboxes() if (sim := build(settings)) is not None]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        tracing.instrument_engine(engine, app.state.tracer_provider)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        async with unit_of_work(app.state.sessions) as session:
            await identity_service.ensure_admin(
                session, settings.admin_email, settings.admin_password
            )
        async with AsyncExitStack() as stack:
            if sandbox is not None:
                await stack.enter_async_context(sandbox.running())
            if providus is not None:
                await stack.enter_async_context(providus.running())
            if messaging is not None:
                await stack.enter_async_context(messaging.running())
            if fincra is not None:
                await stack.enter_async_context(fincra.running())
            if flutterwave is not None:
                await stack.enter_async_context(flutterwave.running())
            if stripe is not None:
                await stack.enter_async_context(stripe.running())
            for simulator in simulators:
                await stack.enter_async_context(simulator.running())
            await stack.enter_async_context(app.state.realtime.running())
            await stack.enter_async_context(in_process_worker(app.state, settings))
            yield
        await close_shared_client()
        await engine.dispose()
        tracing.shutdown(app.state.tracer_provider)

    app = FastAPI(
        title="KRO platform API",
        version=__version__,
        description=(
            "Payments core and products. Amounts are integers in minor units (kobo for NGN). "
            "Every JSON response uses the envelope `{success, data | error, meta}`."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.storage = make_storage(settings)
    app.state.rate_limiter = RateLimiter(settings.api_rate_limit, redis_url=settings.redis_url)
    api.install(app)
    instrument_http(app)
    tracing.instrument_app(app, settings)  # OpenTelemetry, when KRO_OTEL_ENDPOINT is set
    openapi.install(app)  # every operation lists its error codes (STYLE.md 15)
    # Mounts first, then the merchant API: a request is matched against the routes in order,
    # and the hottest paths (a payment, the sandbox it calls) should not walk ~90 routes.
    if sandbox is not None:
        app.mount("/sandbox/paystack", sandbox.app)
    if providus is not None:
        app.mount("/sandbox/providus", providus.app)
    if messaging is not None:
        app.mount("/sandbox/messaging", messaging.app)
    if fincra is not None:
        app.mount("/sandbox/fincra", fincra.app)
    if flutterwave is not None:
        app.mount("/sandbox/flutterwave", flutterwave.app)
    if stripe is not None:
        app.mount("/sandbox/stripe", stripe.app)
    for simulator in simulators:
        app.mount(simulator.path, simulator.app)
    if settings.sandbox_enabled:
        recaptcha = RecaptchaSandbox(
            RecaptchaSandboxConfig(secret_keys=[settings.recaptcha_secret_key])
        )
        app.mount("/sandbox/recaptcha", recaptcha.app)
    routers = (
        ops_router,
        merchant_payments_router,
        identity_router,
        escrow_router,
        payouts_router,
        payments_router,
        providus_router,
        notifications_router,
        verification_router,
        identity_admin_router,
        escrow_admin_router,
        escrow_settings_router,
        escrow_templates_router,
        webhooks_admin_router,
        reconciliation_admin_router,
        review_admin_router,
        manual_refunds_admin_router,
        payouts_admin_router,
        ledger_router,
        tenants_router,
        tenant_invitations_router,
        tenant_merchant_router,
        tenant_webhooks_router,
        tenant_providers_router,
        tenant_reconciliation_router,
        tenant_balance_router,
        kyc_router,
        conversations_router,
        disputes_router,
        marketplace_router,
        giving_router,
        giving_monthly_router,
        pensions_router,
    )
    for router in routers:
        app.include_router(guarded(router))
    # The web apps (kro.web): the same services behind HTML pages.
    install_web(app, settings)
    pages = (
        web_pages,
        identity_pages,
        escrow_pages,
        payout_pages,
        notification_pages,
        # the admin console, under /admin
        identity_admin_pages,
        escrow_admin_pages,
        payouts_admin_pages,
        webhooks_admin_pages,
        reconciliation_admin_pages,
        review_admin_pages,
        manual_refunds_admin_pages,
        ledger_pages,
        audit_pages,
        # the merchant dashboard, under /dashboard
        dashboard_pages,
        merchant_payment_pages,
        # the products on the core
        kyc_pages,
        dispute_pages,
        marketplace_pages,
        giving_pages,
        giving_monthly_pages,
        pensions_pages,
    )
    for router in pages:
        app.include_router(guarded(router))
    if settings.env != "production":
        app.include_router(dev_router)
    mount_realtime(app, settings)

    return app


def make_storage(settings: Settings) -> Storage:
    """Local files under ``KRO_STORAGE_PATH``, or the S3-compatible bucket ``KRO_S3_*``."""
    if settings.storage_backend == "s3":
        return S3Storage(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
        )
    return LocalStorage(settings.storage_path)
