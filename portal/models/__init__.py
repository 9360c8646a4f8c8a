from portal.models.audit import AuditEntry
from portal.models.runs import Run, RunEvent, RunStep
from portal.models.tokens import ApiToken

__all__ = ["ApiToken", "AuditEntry", "Run", "RunEvent", "RunStep"]
