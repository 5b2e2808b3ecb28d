"""Provider webhooks in: one inbox for every provider, verified, stored once, processed by jobs."""
