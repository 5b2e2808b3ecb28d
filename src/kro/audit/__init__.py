"""Audit log: who did what, when, from where (seed 003 section 7.4; DESIGN.md section 6)."""
