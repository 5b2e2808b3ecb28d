"""Notifications: email, SMS and WhatsApp with provider failover, Jinja2 templates, per-user
preferences, sent through the outbox (issue 4 section 5; seed 001's SMS manager).

Any module notifies a user in its own transaction::

    from kro.notifications.service import notify

    await notify(session, order.seller_id, "order.funded",
                 {"order_id": order.id, "title": order.title, "amount": order.amount,
                  "currency": order.currency}, dedupe_key=order.id)

That writes one ``notifications`` row per channel (unique per user, event, channel and
``dedupe_key``, so one event is never sent twice) and a ``notifications.send`` job each
(:mod:`kro.notifications.tasks`), which renders ``templates/<event>.j2`` and sends through the
channel's providers in the configured order (``KRO_SMS_PROVIDERS=termii,twilio,telnyx``,
``KRO_WHATSAPP_PROVIDERS``, ``KRO_EMAIL_PROVIDERS=sendgrid|smtp``), recording every attempt in
``notification_attempts``. Events and their context: :mod:`kro.notifications.events`.
Users choose channels per event at ``/v1/me/notification-preferences``.
"""
