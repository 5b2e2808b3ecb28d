"""Pieces every simulator shares: its skeleton (:mod:`.service`: the app, ``running()``, the
per-request unit of work), its life cycle (:mod:`.lifecycle`: database, background loop,
standalone app), the signed delivery of its webhooks with retries (:mod:`.delivery`), its
errors and faults (:mod:`.errors`, :mod:`.faults`), its hosted page (:mod:`.page`), its
control queries (:mod:`.control`) and body parsing (:mod:`.inputs`). Each provider's signing,
payloads, wire shapes and schedules stay in its own package and come in as parameters.
"""
