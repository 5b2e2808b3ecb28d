"""The licensed pension operators (shared/reference/domains.md §4, "Licensed operators"): the
19 PFAs and 3 PFCs of 2023–2024 (the list may have changed with 2025 recapitalisation).

**The codes are our own, not PenCom's** (no official code list was found; Remita's file uses
codes such as ``0025`` for Pensions Alliance, unconfirmed for the others), and so is which PFC
holds each PFA's assets. The list is the data file ``kro/kit/data/pension_operators.json``,
which the PenCom register simulator (``kro.sandbox.pencom``, which may import only ``kro.kit``)
reads too: one list.
"""

from __future__ import annotations

from kro.kit import data

_OPERATORS = data.load("pension_operators.json")
PFCS: dict[str, str] = {p["code"]: p["name"] for p in _OPERATORS["pfcs"]}
# code -> (name, PFC code); codes and custodians not official.
PFAS: dict[str, tuple[str, str]] = {p["code"]: (p["name"], p["pfc"]) for p in _OPERATORS["pfas"]}

INSURERS: tuple[str, ...] = (
    # NAICOM-licensed life insurers offering Group Life (a short list, not exhaustive).
    "AIICO Insurance",
    "AXA Mansard Insurance",
    "Leadway Assurance",
    "FBN Insurance",
    "Custodian Life Assurance",
    "Heirs Life Assurance",
    "NEM Insurance",
    "Sovereign Trust Insurance",
)


def pfc_of(pfa_code: str) -> str:
    """The PFC code holding ``pfa_code``'s assets ('' if the PFA is unknown)."""
    found = PFAS.get(pfa_code)
    return found[1] if found else ""


def pfa_name(pfa_code: str) -> str:
    found = PFAS.get(pfa_code)
    return found[0] if found else pfa_code
