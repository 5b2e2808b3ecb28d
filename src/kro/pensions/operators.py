"""The licensed pension operators (shared/reference/domains.md §4, "Licensed operators"): the
19 PFAs and 3 PFCs of 2023–2024 (the list may have changed with 2025 recapitalisation).

**The codes are our own, not PenCom's** (no official code list was found; Remita's file uses
codes such as ``0025`` for Pensions Alliance, unconfirmed for the others), and so is which PFC
holds each PFA's assets. The PenCom register simulator (``kro.sandbox.pencom``) carries the same
table, since the sandbox may not import the platform.
"""

from __future__ import annotations

PFCS: dict[str, str] = {
    "FPC": "First Pension Custodian",
    "UBA": "UBA Pensions Custodian",
    "ZPC": "Zenith Pensions Custodian",
}

# code -> (name, PFC code); codes and custodians not official.
PFAS: dict[str, tuple[str, str]] = {
    "ARM": ("ARM Pension Managers", "FPC"),
    "ACC": ("Access Pensions", "UBA"),
    "CSP": ("Crusader Sterling Pensions", "ZPC"),
    "FID": ("Fidelity Pension Managers", "FPC"),
    "FCM": ("FCMB Pensions", "UBA"),
    "GTP": ("Guaranty Trust Pension Managers", "ZPC"),
    "LWP": ("Leadway Pensure", "FPC"),
    "NUP": ("NUPEMCO", "UBA"),
    "NLP": ("NLPC PFA", "ZPC"),
    "NOR": ("Norrenberger Pensions", "FPC"),
    "NPF": ("NPF Pensions", "UBA"),
    "OAK": ("OAK Pensions", "ZPC"),
    "PAL": ("Pensions Alliance", "FPC"),
    "PPL": ("Premium Pension", "UBA"),
    "RAD": ("Radix Pension Managers", "ZPC"),
    "SIB": ("Stanbic IBTC Pension Managers", "FPC"),
    "TAP": ("Tangerine APT Pensions", "UBA"),
    "TRU": ("Trustfund Pensions", "ZPC"),
    "VGP": ("Veritas Glanvills Pensions", "FPC"),
}

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
