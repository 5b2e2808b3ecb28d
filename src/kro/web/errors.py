"""Errors of the web layer (codes as the JSON API's)."""

from __future__ import annotations

from kro.kit.errors import BadRequest, Forbidden, Unauthorized


class SignInRequired(Unauthorized):
    """No live session cookie: pages answer with a redirect to the sign-in page."""

    code = "sign_in_required"
    message = "Please sign in to continue."

    def __init__(self, next_url: str = "/", *, admin: bool = False) -> None:
        super().__init__()
        self.next_url = next_url
        self.admin = admin


class CsrfFailed(Forbidden):
    """A form without the page's CSRF token (or with another browser's)."""

    code = "csrf_failed"
    message = "This form has expired or did not come from this site. Reload the page and retry."


class InvalidAmount(BadRequest):
    """An amount typed in major units that is not a number of the currency's minor units."""

    status = 422
    code = "invalid_amount"
    message = "Enter an amount such as 25,000 or 25000.50."
