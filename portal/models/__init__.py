from portal.models.audit import AuditEntry
from portal.models.jobs import Job
from portal.models.tokens import ApiToken

__all__ = ["ApiToken", "AuditEntry", "Job"]
