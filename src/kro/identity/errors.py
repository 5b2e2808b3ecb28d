"""Identity errors (rendered in the envelope by kro.kit.api)."""

from kro.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    Unprocessable,
    UpstreamError,
)

# -- accounts and tokens ----------------------------------------------------------------------


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this email already exists."


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = "The email or password is wrong."


class InvalidToken(Unauthorized):
    code = "invalid_token"
    message = "The token is invalid or has expired."


class AccessTokenRequired(InvalidToken):
    """No ``Authorization: Bearer …`` header at all."""

    code = "unauthorized"
    message = "A bearer access token is required."


class TokenExpired(InvalidToken):
    code = "token_expired"
    message = "The access token has expired."


class AdminTokenRequired(InvalidToken):
    """A missing token, or one that is not an admin token (a user's access token included)."""

    code = "admin_token_required"
    message = "An admin token is required."


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


class MagicLinkInvalid(InvalidToken):
    """Used, expired or unknown: the ``rejected`` log row commits with the 401."""

    code = "invalid_magic_link"
    message = "This sign-in link is invalid, expired or already used."
    commit_anyway = True


# -- admin second factor (kro.identity.admin) -------------------------------------------------


class TotpRequired(Forbidden):
    code = "totp_required"
    message = "This action needs a valid TOTP code from an enrolled authenticator."


class TotpAlreadyEnrolled(Conflict):
    code = "totp_already_enrolled"
    message = "An authenticator is already set up for this account."


# -- CAPTCHA (kro.identity.captcha) -----------------------------------------------------------


class CaptchaFailed(BadRequest):
    code = "captcha_failed"
    message = "The CAPTCHA check failed; solve it again."


class CaptchaUnavailable(UpstreamError):
    code = "captcha_unavailable"
    message = "The CAPTCHA could not be checked; try again shortly."


# -- phone verification (kro.identity.phone) --------------------------------------------------


class InvalidPhone(Unprocessable):
    code = "invalid_phone"
    message = "The phone number is not valid; use international format, e.g. +2348012345678."


class PhoneCodeTooSoon(RateLimited):
    code = "phone_code_too_soon"
    message = "A code was sent moments ago; wait before asking for another."


class PhoneCodeLimit(RateLimited):
    code = "phone_code_limit"
    message = "Too many codes requested; try again later."


class PhoneCodeInvalid(BadRequest):
    """A wrong code: the attempt counter it raised must commit, so the error commits."""

    code = "invalid_code"
    message = "The code is wrong."
    commit_anyway = True


class PhoneCodeExpired(BadRequest):
    code = "code_expired"
    message = "The code has expired or was never sent; ask for a new one."


class PhoneCodeAttemptsExceeded(RateLimited):
    code = "too_many_attempts"
    message = "Too many wrong codes; ask for a new one."


class InvalidApiKey(Unauthorized):
    code = "invalid_api_key"
    message = "The API key is invalid, revoked or expired."
