"""Faithful local simulators of the external providers (DESIGN.md section 7).

Each simulator serves its provider's real paths, envelopes, units, statuses and error shapes,
signs and retries its webhooks like the provider, and keeps its state in its own tables
(:mod:`kro.sandbox.db`), never in ours. Boundary (import-linter): ``kro.sandbox`` imports only
``kro.kit``; it talks to the platform over HTTP only.
"""
