"""Who may act on an employer, as request dependencies: the path's ``employer_id``, the caller
on its team (else ``employer_not_found``, 404: another employer's data is never confirmed to
exist) and, where an action needs one, their role (else ``role_required``, 403). A handler
takes the resulting :class:`~kro.pensions.employers.Access` and hands it to the service,
which scopes every query by it.

Which role does what is said once here, for the JSON API (bearer token) and the pages
(cookie session) alike: ``hr_officer`` maintains employees and prepares schedules,
``finance_approver`` approves and pays, both keep GLI and the certificate, the owner manages
the team and the employer's details; any member reads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from kro.identity.dependencies import ClientIp, CurrentUser
from kro.kit.deps import DbSession
from kro.pensions import employers
from kro.pensions.employers import FINANCE, HR, Access
from kro.web.dependencies import PageUser

MAINTAIN = (HR,)  # employees, import, prepare / submit / discard / adjust a schedule
APPROVE = (FINANCE,)  # approve, reject, pay a schedule
COMPLY = (HR, FINANCE)  # PenCom register check, GLI, the compliance certificate


class RequireEmployerRole:
    """``Depends(RequireEmployerRole(HR))``: the API caller's access to ``employer_id`` with
    one of ``roles`` (none: any member; ``owner``: the team's owner)."""

    def __init__(self, *roles: str, owner: bool = False) -> None:
        self.roles, self.owner = roles, owner

    async def __call__(
        self, employer_id: str, user: CurrentUser, ip: ClientIp, session: DbSession
    ) -> Access:
        return await employers.access(
            session, user, employer_id, *self.roles, owner=self.owner, ip=ip
        )


class RequirePageRole(RequireEmployerRole):
    """The same for a page: the signed-in viewer (cookie session) instead of a bearer token."""

    async def __call__(
        self, employer_id: str, user: PageUser, ip: ClientIp, session: DbSession
    ) -> Access:
        return await employers.access(
            session, user, employer_id, *self.roles, owner=self.owner, ip=ip
        )


EmployerMember = Annotated[Access, Depends(RequireEmployerRole())]
EmployerOwner = Annotated[Access, Depends(RequireEmployerRole(owner=True))]
HrOfficer = Annotated[Access, Depends(RequireEmployerRole(*MAINTAIN))]
FinanceApprover = Annotated[Access, Depends(RequireEmployerRole(*APPROVE))]
ComplianceOfficer = Annotated[Access, Depends(RequireEmployerRole(*COMPLY))]

PageMember = Annotated[Access, Depends(RequirePageRole())]
PageOwner = Annotated[Access, Depends(RequirePageRole(owner=True))]
PageHrOfficer = Annotated[Access, Depends(RequirePageRole(*MAINTAIN))]
PageFinanceApprover = Annotated[Access, Depends(RequirePageRole(*APPROVE))]
PageComplianceOfficer = Annotated[Access, Depends(RequirePageRole(*COMPLY))]
