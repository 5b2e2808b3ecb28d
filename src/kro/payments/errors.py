"""Every error of the payments core (one place, as STYLE.md asks), by what raises it."""

from kro.kit.errors import (
    Conflict,
    KroError,
    NotFound,
    Unauthorized,
    Unprocessable,
    UpstreamError,
)


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    message = "No such payment."


class InvalidWebhookSignature(Unauthorized):
    code = "invalid_signature"
    message = "The webhook signature does not match the body."


class BankTransferUnavailable(Unprocessable):
    """Bank transfer into a dynamic account: over- and under-payments go to the payer's
    wallet, so it needs a known payer, and Providus takes naira only."""

    code = "bank_transfer_unavailable"
    message = "Bank transfer takes naira from a known payer only."


class RecurringUnavailable(Unprocessable):
    """Recurring collections: naira card payments on a provider interval (Paystack's
    ``daily`` … ``annually``), and changes only to an active subscription."""

    code = "recurring_unavailable"
    message = "This recurring payment cannot be set up or changed."


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    message = "No such subscription."


class NoProviderAvailable(Unprocessable):
    code = "no_provider_available"
    message = "No enabled provider configuration can take this payment."


class ProvidersUnavailable(UpstreamError):
    """Every eligible provider refused before accepting; the failed payment is kept."""

    status = 503
    code = "providers_unavailable"
    message = "No payment provider could take the payment now; nothing was charged."
    commit_anyway = True


class PaymentRejected(KroError):
    """The provider refused the payment; the failed payment is kept."""

    status = 402
    code = "payment_rejected"
    message = "The payment provider rejected the payment."
    commit_anyway = True


class DuplicateReference(Conflict):
    code = "duplicate_reference"
    message = "A payment with this reference exists in this mode."


class NotCapturable(Conflict):
    code = "payment_not_capturable"
    message = "Only an authorized payment (requires_capture) can be captured."


class CaptureTooLarge(Unprocessable):
    code = "capture_exceeds_authorized"
    message = "The capture amount is above the authorized amount."


class RefundNotFound(NotFound):
    code = "refund_not_found"
    message = "No such refund."


class RefundNotManual(Conflict):
    """Only a refund paid by hand (destination ``manual``) that waits for its operator can be
    recorded as paid or not."""

    code = "refund_not_manual"
    message = "This refund is not waiting to be paid by hand."


class NotRefundable(Conflict):
    code = "payment_not_refundable"
    message = "Only a completed payment can be refunded."


class RefundExceedsCaptured(Conflict):
    code = "refund_exceeds_captured"
    message = "A refund cannot exceed what was captured minus what was already refunded."


class ProviderConfigNotFound(NotFound):
    code = "provider_config_not_found"
    message = "No such provider configuration."


class ProviderConfigExists(Conflict):
    code = "provider_config_exists"
    message = "This provider is already configured for this mode; update it instead."


class InvalidProviderConfig(Unprocessable):
    code = "invalid_provider_config"
    message = "The provider configuration is not valid."


class RoutingRuleNotFound(NotFound):
    code = "routing_rule_not_found"
    message = "No such routing rule."


class ProviderConfigInUse(Conflict):
    code = "provider_config_in_use"
    message = (
        "Payments or refunds through this configuration are still open; disable it instead "
        "(it is then no longer routed to, and what is open still settles)."
    )


class ReportNotFound(NotFound):
    code = "reconciliation_report_not_found"
    message = "No such reconciliation report."


class UnknownProviderConfig(Unprocessable):
    code = "provider_not_configured"
    message = "This provider is not configured in this mode."


class WebhookEventNotFound(NotFound):
    code = "webhook_event_not_found"
    message = "No such webhook event."


class FutureDay(Unprocessable):
    code = "invalid_date"
    message = "A day in the future cannot be reconciled."
