"""The SendGrid adapter (v3 Mail Send).

``POST {base_url}/v3/mail/send`` with ``Authorization: Bearer <API key>`` and JSON
``{personalizations: [{to: [{email, name}]}], from: {email, name}, subject, content: [{type,
value}]}``. Success is ``202 Accepted`` with an empty body and an ``X-Message-Id`` header;
errors are ``{"errors": [{message, field, help}]}``. Source: twilio.com/docs/sendgrid/api-reference
/mail-send (providers.md section 6.3).
"""

from kro.providers.sendgrid.client import PROVIDER, SendGridClient

__all__ = ["PROVIDER", "SendGridClient"]
