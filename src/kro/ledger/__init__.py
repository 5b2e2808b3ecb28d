"""Double-entry ledger modelled on TigerBeetle: accounts, (two-phase) transfers, balances.

Public use cases live in :mod:`kro.ledger.service`, the chart of accounts in
:mod:`kro.ledger.chart`, errors in :mod:`kro.ledger.errors`. Other modules never touch the
ledger tables directly (DESIGN.md section 3).
"""
