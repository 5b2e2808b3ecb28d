"""KYC errors."""

from kro.kit.errors import Conflict, NotFound, Unprocessable


class InvalidIdentityNumber(Unprocessable):
    code = "invalid_identity_number"
    message = "A BVN and a NIN are 11 digits each."


class AlreadyVerified(Conflict):
    code = "kyc_already_verified"
    message = "This identity is already verified."


class CaseNotFound(NotFound):
    code = "kyc_case_not_found"
    message = "No such verification."


class CaseNotPending(Conflict):
    code = "kyc_case_not_pending"
    message = "Only a pending verification can be approved or rejected."


class ReasonRequired(Unprocessable):
    code = "reason_required"
    message = "Say why the verification is rejected."


class DocumentRefused(Unprocessable):
    code = "kyc_document_refused"
    message = "An ID document is a PNG, JPEG or PDF file within the size limit."


class DocumentNotAllowed(Conflict):
    code = "kyc_document_not_allowed"
    message = "Submit your BVN and NIN first; a verified identity needs no document."


class DocumentNotFound(NotFound):
    code = "kyc_document_not_found"
    message = "No ID document was uploaded for this verification."
