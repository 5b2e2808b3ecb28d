"""Faithful local simulators of the messaging providers, and one inbox (DESIGN.md section 7).

Use::

    sandbox = MessagingSandbox(MessagingSandboxConfig(database_url=..., ...))
    app.mount("/sandbox/messaging", sandbox.app)      # and enter ``sandbox.running()``
    # or standalone: uvicorn.run(create_app(config), port=N)

Mounted paths (each simulator serves its provider's real paths under its own prefix, so an
adapter's base URL is ``…/sandbox/messaging/<provider>``):

=====================================================  ======================================
``POST /sendgrid/v3/mail/send``                         SendGrid v3 (:mod:`kro.sandbox.sendgrid`)
``POST /termii/api/sms/send``                           Termii SMS / WhatsApp (:mod:`…termii`)
``POST /twilio/2010-04-01/Accounts/{sid}/Messages.json``  Twilio SMS / WhatsApp (:mod:`…twilio`)
``GET  /twilio/2010-04-01/Accounts/{sid}/Messages/{sid}.json``
``POST /telnyx/v2/messages``                            Telnyx SMS (:mod:`…telnyx`)
``GET|PUT|POST|DELETE /<provider>/_sandbox/faults``      fault switch (:mod:`…messaging.faults`)
``GET /inbox`` · ``GET|DELETE /inbox/messages``          the inbox (:mod:`…messaging.inbox`)
=====================================================  ======================================

Every accepted message is captured in ``messaging_messages`` (the sandbox's own database) and
shown in the inbox with its provider, channel, recipient, sender, subject and body.
"""

from kro.sandbox.messaging.app import MessagingSandbox, create_app
from kro.sandbox.messaging.config import MessagingSandboxConfig

__all__ = ["MessagingSandbox", "MessagingSandboxConfig", "create_app"]
