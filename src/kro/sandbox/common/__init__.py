"""Pieces every simulator shares: its life cycle (database, background loop, standalone app)
and the signed delivery of its webhooks with retries. Each provider's signing, payloads and
schedules stay in its own package and come in as parameters.
"""
