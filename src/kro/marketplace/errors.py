"""Marketplace errors."""

from kro.kit.errors import Conflict, Forbidden, NotFound, Unprocessable


class ServiceNotFound(NotFound):
    code = "service_not_found"
    message = "No such service."


class PackageNotFound(NotFound):
    code = "package_not_found"
    message = "No such package on this service."


class CategoryNotFound(NotFound):
    code = "category_not_found"
    message = "No such category."


class OrderNotFound(NotFound):
    code = "order_not_found"
    message = "No such order."


class NotOrderParty(Forbidden):
    code = "not_allowed_for_party"
    message = "The other party of this order does this."


class SelfPurchase(Unprocessable):
    code = "buyer_is_seller"
    message = "You cannot order your own service."


class ServiceNotActive(Conflict):
    code = "service_not_active"
    message = "This service is not taking orders."


class InvalidPackages(Unprocessable):
    code = "invalid_packages"
    message = "A service has one to three packages, one per tier."


class KycRequired(Forbidden):
    code = "kyc_required"
    message = "Verify your identity first."


class NoRevisionsLeft(Conflict):
    code = "no_revisions_left"
    message = "The package's revisions are used up."


class NotLateEnough(Conflict):
    code = "order_not_late"
    message = "The order can be cancelled only after it is late and the grace period is over."


class RequirementsMissing(Unprocessable):
    code = "requirements_missing"
    message = "Answer every requirement of the service."


class ClearanceOver(Conflict):
    code = "clearance_over"
    message = "The seller's earnings have cleared; this order can no longer be refunded."


class ReviewNotAllowed(Conflict):
    code = "review_not_allowed"
    message = "Reviews are for completed orders, once per side, within the review window."


class InvalidServiceStatus(Unprocessable):
    code = "invalid_service_status"
    message = "A seller may only pause or reopen an active or paused service."


class ServiceNotReviewable(Conflict):
    code = "service_not_pending_review"
    message = "Only a service waiting for review is approved or rejected."


class ImageRefused(Unprocessable):
    code = "image_refused"
    message = "A service image is a PNG, JPEG or WebP file within the size limit; five at most."


class SandboxOnly(NotFound):
    code = "not_found"
    message = "Moving clocks exists only on a sandbox platform."


class InvalidSplit(Unprocessable):
    code = "invalid_split"
    message = "A split pays the seller something and leaves the buyer something."


class ExtraNotFound(NotFound):
    code = "extra_not_found"
    message = "No such extra on this service."


class InvalidExtras(Unprocessable):
    code = "invalid_extras"
    message = "Up to ten extras, each with a price, leaving at least a day of delivery."


class PurchaseNotAllowed(Conflict):
    code = "purchase_not_allowed"
    message = "Extras are bought on an order in progress, tips on a completed one."


class CancellationPending(Conflict):
    code = "cancellation_pending"
    message = "A cancellation request is already waiting for an answer."


class NoCancellationRequest(Conflict):
    code = "no_cancellation_request"
    message = "Nobody has asked to cancel this order."


class ReasonRequired(Unprocessable):
    code = "reason_required"
    message = "Say why: the seller reads it."


class SellerSuspended(Forbidden):
    code = "seller_suspended"
    message = "This seller account is suspended from listing services."


class CategoryCycle(Unprocessable):
    code = "category_cycle"
    message = "A category cannot sit under itself or one of its own subcategories."


class SellerNotSuspended(NotFound):
    code = "seller_not_suspended"
    message = "This seller is not suspended."
