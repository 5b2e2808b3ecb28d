"""Disputes shared by the products (DESIGN.md section 3): one dispute per complaint about a
product's object (``purpose``, ``purpose_id``), its thread and evidence, and the admin's
resolution with a fresh TOTP. The money side stays with the product, reached through
:mod:`kro.disputes.registry`."""
