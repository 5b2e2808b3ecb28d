"""The services marketplace (seed 004, 2KRIKA): catalog, orders with deliveries, revisions
and timers, seller earnings with clearance, reviews. A product: it takes money only through
``kro.payments`` and ``kro.payouts`` and hears back through outbox jobs."""
