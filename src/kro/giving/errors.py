"""KROGiving errors (rendered in the API's envelope by the one handler of ``kro.kit``)."""

from kro.kit.errors import Conflict, Forbidden, KroError, NotFound, Unprocessable


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    message = "No such campaign."


class DonationNotFound(NotFound):
    code = "donation_not_found"
    message = "No such donation."


class WithdrawalNotFound(NotFound):
    code = "withdrawal_not_found"
    message = "No such withdrawal."


class ReportNotFound(NotFound):
    code = "report_not_found"
    message = "No such report."


class CampaignNotAcceptingDonations(Conflict):
    code = "campaign_not_accepting_donations"
    message = "This campaign is not taking donations now."


class DonationBelowMinimum(Unprocessable):
    code = "donation_below_minimum"
    message = "The donation is below the minimum."


class ReasonRequired(Unprocessable):
    code = "reason_required"
    message = "Give a reason."


class RefundWindowClosed(Conflict):
    code = "refund_window_closed"
    message = "The refund window for this donation has closed."


class DonationNotRefundable(Conflict):
    code = "donation_not_refundable"
    message = "This donation cannot be refunded now."


class KycRequired(Forbidden):
    code = "kyc_required"
    message = "Verify your identity before withdrawing."


class WithdrawalsOnHold(Conflict):
    code = "withdrawals_on_hold"
    message = "Withdrawals from this campaign are on hold."


class NotWithdrawable(Conflict):
    code = "campaign_not_withdrawable"
    message = "This campaign's money cannot be withdrawn now."


class InsufficientCampaignBalance(Conflict):
    code = "insufficient_campaign_balance"
    message = "The campaign's available balance does not cover this withdrawal."


class UnsupportedImage(KroError):
    status = 415
    code = "unsupported_file_type"
    message = "A cover image must be PNG, JPEG or WebP."


class ImageTooLarge(KroError):
    status = 413
    code = "file_too_large"
    message = "The image is too large (at most 5 MB)."


class NoCoverImage(NotFound):
    code = "cover_image_not_found"
    message = "This campaign has no cover image."


class MessageNotFound(NotFound):
    code = "message_not_found"
    message = "No such words of support."


class UnsubscribeLinkInvalid(NotFound):
    code = "unsubscribe_link_invalid"
    message = "This unsubscribe link is not valid."
