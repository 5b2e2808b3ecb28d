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


class SandboxOnly(NotFound):
    code = "not_found"
    message = "Moving clocks exists only on a sandbox platform."


class InvalidSplit(Unprocessable):
    code = "invalid_split"
    message = "A split pays the seller something and leaves the buyer something."
