"""Errors of ``kro.pensions``."""

from kro.kit.errors import Conflict, Forbidden, NotFound, Unprocessable


class EmployerNotFound(NotFound):
    code = "employer_not_found"
    message = "No such employer (or you are not on its team)."


class EmployeeNotFound(NotFound):
    code = "employee_not_found"
    message = "No such employee at this employer."


class ScheduleNotFound(NotFound):
    code = "schedule_not_found"
    message = "No such schedule at this employer."


class PolicyNotFound(NotFound):
    code = "policy_not_found"
    message = "No such GLI policy at this employer."


class CertificateNotFound(NotFound):
    code = "certificate_not_found"
    message = "No such compliance certificate."


class RoleRequired(Forbidden):
    code = "role_required"
    message = "Your role on this employer's team does not allow this."


class MakerChecker(Forbidden):
    code = "maker_checker"
    message = "Who prepared or submitted a schedule cannot approve it."


class MemberExists(Conflict):
    code = "member_exists"
    message = "This user is already on the team."


class UserNotFound(Unprocessable):
    code = "user_not_found"
    message = "No user has this email; they must register first."


class StaffIdTaken(Conflict):
    code = "staff_id_taken"
    message = "Another employee has this staff id."


class ImportInvalid(Unprocessable):
    code = "import_invalid"
    message = "The import has errors; nothing was imported."


class ScheduleExists(Conflict):
    code = "schedule_exists"
    message = "This period already has a schedule."


class NothingToSchedule(Unprocessable):
    code = "nothing_to_schedule"
    message = "No employee with an RSA PIN was active in this period."


class RegisterMismatch(Unprocessable):
    code = "register_mismatch"
    message = "Some employees' PIN or PFA do not match PenCom's register; fix them first."


class NotReady(Unprocessable):
    code = "not_ready"
    message = "The employer is not ready for a compliance certificate."


class InvalidPeriod(Unprocessable):
    code = "invalid_period"
    message = "The period must be YYYY-MM, not in the future."


class ExitBeforeHire(Unprocessable):
    code = "exit_before_hire"
    message = "The exit date cannot be before the hire date."


class UnknownPfa(Unprocessable):
    code = "unknown_pfa"
    message = "Unknown PFA code (see the list of licensed PFAs)."


class CertificateRevoked(Conflict):
    code = "certificate_revoked"
    message = "This certificate is already revoked."
