"""Outgoing customer webhooks (seed 003 section 4, "Outgoing"), signed per Standard Webhooks.

A tenant registers endpoints (``webhook_endpoints``) per mode. The payments core calls
:func:`kro.webhooks.service.emit` in its own transaction: the event is stored once
(``merchant_events``, with the exact body that will be sent), with one ``webhook_deliveries``
row per subscribed endpoint and one ``webhooks.deliver`` job each (transactional outbox).
The job POSTs the body with ``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature``,
records a ``webhook_attempts`` row, and schedules the next attempt on the Standard Webhooks
schedule (:mod:`kro.webhooks.delivery`). ``410 Gone`` or five days of failure disable the
endpoint and queue ``tenants.webhook_endpoint_disabled`` (the tenant's owners are told).

This is a core module: it never imports ``kro.tenants`` or a product; it takes plain
``tenant_id`` and ``mode`` (``"test"`` | ``"live"``). The merchant routes live in
``kro.tenants.webhook_endpoints``.
"""
