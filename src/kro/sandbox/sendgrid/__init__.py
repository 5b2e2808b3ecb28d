"""A simulator of SendGrid's v3 Mail Send API: ``POST /v3/mail/send``.

``Authorization: Bearer <API key>``, JSON ``{personalizations: [{to: [{email, name}], cc, bcc,
subject}], from: {email, name}, subject, content: [{type, value}], …}`` → ``202 Accepted``,
empty body, ``X-Message-Id`` header; with ``mail_settings.sandbox_mode.enable`` → ``200``,
nothing sent (SendGrid's own sandbox mode). Errors: ``{"errors": [{message, field, help}]}``
(400; 401 for a bad key; 413 above 1000 recipients). One inbox row per recipient. Source:
twilio.com/docs/sendgrid/api-reference/mail-send (providers.md 6.3; error texts [U]). Fault
switch: ``/_sandbox/faults``.
"""

from kro.sandbox.sendgrid.api import build_app

__all__ = ["build_app"]
