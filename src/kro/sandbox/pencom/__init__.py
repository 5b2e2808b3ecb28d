"""A stand-in for PenCom's read-only data service (the seeds' on-premises Oracle integration):
RSA PIN → holder's name, date of birth and PFA, and the licensed operators.

Nothing about the real interface is public, so the paths and fields are our own. The 19 PFAs
and 3 PFCs are those of shared/reference/domains.md §4; **their codes are ours, not
official**. Holders are enrolled through the control route ``POST /_sandbox/holders`` (in real
life a PFA registers them through ECRS).
"""

from kro.sandbox.pencom.app import PencomSandbox

__all__ = ["PencomSandbox"]
