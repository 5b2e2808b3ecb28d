"""KROGiving crowdfunding (seeds 000, 002): campaigns, donations with tips and fee cover,
receipts, organizer withdrawals. A product: it takes money only through ``kro.payments`` and
``kro.payouts`` and hears back through outbox jobs."""
