"""The licensed pension operators have one source (``kro/kit/data/pension_operators.json``):
the platform and the PenCom register simulator read the same list."""

from __future__ import annotations

from kro.pensions import operators
from kro.sandbox.pencom import app as register


def test_one_list_of_operators() -> None:
    assert len(operators.PFAS) == 19 and len(operators.PFCS) == 3
    assert {pfc for _, pfc in operators.PFAS.values()} <= set(operators.PFCS)
    assert register.PFAS == operators.PFAS and register.PFCS == operators.PFCS
    assert operators.pfc_of("ARM") == "FPC" and operators.pfa_name("PAL") == "Pensions Alliance"
