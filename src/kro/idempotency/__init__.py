"""Idempotency keys for POST requests: the stored first responses and the route wiring
(Stripe's semantics, DESIGN.md section 5; the pure rules are in ``kro.kit.idempotency``)."""
