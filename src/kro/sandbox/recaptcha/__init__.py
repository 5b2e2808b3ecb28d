"""A local stand-in for Google reCAPTCHA's verification endpoint (``siteverify``).

Use::

    sandbox = RecaptchaSandbox(RecaptchaSandboxConfig(secret_keys=[settings.recaptcha_secret_key]))
    app.mount("/sandbox/recaptcha", sandbox.app)   # no background work: nothing to enter
    # or standalone: uvicorn.run(create_app(config), port=N)

``POST /recaptcha/api/siteverify`` (relative to the mount), form fields ``secret``,
``response`` and optional ``remoteip`` (as Google, also read from the query string), always
answers 200 with Google's JSON (developers.google.com/recaptcha/docs/verify)::

    {"success": true, "challenge_ts": "2025-01-31T09:30:00Z", "hostname": "localhost"}
    {"success": false, "error-codes": ["invalid-input-response"]}

Tokens (``response``): one that starts with ``pass`` succeeds, once: the same token again
answers ``timeout-or-duplicate``, as Google's single-use tokens do (remembered in memory, per
process). Any other token fails with ``invalid-input-response``; a missing one with
``missing-input-response``. A missing secret answers ``missing-input-secret``, an unknown one
``invalid-input-secret``. With ``version=3`` a success also carries ``score`` (0.9, or 0.1 for
tokens that start with ``pass-low``) and ``action``.
"""

from kro.sandbox.recaptcha.app import RecaptchaSandbox, create_app
from kro.sandbox.recaptcha.config import DEFAULT_SECRET_KEY, RecaptchaSandboxConfig

__all__ = ["DEFAULT_SECRET_KEY", "RecaptchaSandbox", "RecaptchaSandboxConfig", "create_app"]
