"""Tenant errors (rendered in the envelope by kro.kit.api)."""

from kro.kit.errors import Conflict, Forbidden, NotFound


class TenantNotFound(NotFound):
    """Also what a non-member gets: another tenant's id is indistinguishable from none."""

    code = "tenant_not_found"
    message = "No such tenant."


class InsufficientRole(Forbidden):
    code = "insufficient_role"
    message = "Your role in this tenant does not allow this."


class MemberNotFound(NotFound):
    code = "member_not_found"
    message = "No such member."


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    message = "No such invitation."


class AlreadyMember(Conflict):
    code = "already_member"
    message = "This person is already a member of the tenant."


class InvitationPending(Conflict):
    code = "invitation_pending"
    message = "This email already has a pending invitation."


class LastOwner(Conflict):
    code = "last_owner"
    message = "A tenant keeps at least one owner."


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    message = "No such API key."


class ApiKeyInactive(Conflict):
    code = "api_key_inactive"
    message = "This API key is revoked or already rotated."
