"""Identity errors (rendered in the envelope by kro.kit.api)."""

from kro.kit.errors import Conflict, Forbidden, NotFound, Unauthorized


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists."


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = "The email or password is wrong."


class InvalidToken(Unauthorized):
    code = "invalid_token"
    message = "The token is invalid or has expired."


class UserInactive(Forbidden):
    code = "user_inactive"
    message = "This account is disabled."


class AdminRequired(Forbidden):
    code = "admin_required"
    message = "Only an administrator can do this."


class UserNotFound(NotFound):
    code = "user_not_found"
    message = "No such user."


class RefreshTokenReused(InvalidToken):
    """A rotated refresh token came back: its family is revoked, and that revocation commits."""

    code = "refresh_token_reused"
    message = "This refresh token was already used; sign in again."
    commit_anyway = True
