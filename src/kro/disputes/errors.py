"""Dispute errors."""

from kro.kit.errors import Conflict, NotFound, Unprocessable


class DisputeNotFound(NotFound):
    code = "dispute_not_found"
    message = "No such dispute."


class EvidenceNotFound(NotFound):
    code = "evidence_not_found"
    message = "No such evidence."


class DisputeAlreadyOpen(Conflict):
    code = "dispute_already_open"
    message = "A dispute is already open on this."


class DisputeClosed(Conflict):
    """The dispute was resolved or withdrawn already: a second resolution changes nothing."""

    code = "dispute_closed"
    message = "This dispute is no longer open."


class InvalidOutcome(Unprocessable):
    code = "invalid_outcome"
    message = "This outcome does not apply to this dispute."


class InvalidSplit(Unprocessable):
    """A split names the seller's share; each product checks the share's bounds and answers
    with this same code."""

    code = "invalid_split"
    message = "A split needs the seller's amount, more than zero and less than their share."
