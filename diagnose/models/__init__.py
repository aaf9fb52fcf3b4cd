"""SQLModel tables of the platform; every schema change goes through an Alembic migration."""

from diagnose.models.audit_log import AuditChainBoundary, AuditLog
from diagnose.models.collectors import CollectorAssignment, GatewayAccount, PayloadProfileChoice
from diagnose.models.diagnosis import (
    Answer,
    Assessment,
    ContradictionDecision,
    DiagnosisOrder,
    OrderStaffMember,
    OrderStatus,
    ProcurementBatch,
    Result,
    SmeAnswer,
    SmeResult,
    StaffRole,
)
from diagnose.models.evidence import (
    CalendarRule,
    DevicePresence,
    Equipment,
    EvidenceSnapshotRecord,
    StateModelRecord,
)
from diagnose.models.figures import TableVersion
from diagnose.models.jobs import JobWatermark
from diagnose.models.notifications import Notification
from diagnose.models.orgs import (
    Bureau,
    BureauProvider,
    Enterprise,
    LoginThrottle,
    PoolEntry,
    Provider,
    Region,
    Role,
    SmePilot,
    User,
)
from diagnose.models.policies import PolicyVersion, SubdomainTailoring
from diagnose.models.reports import IssuedReport, ReportJob
from diagnose.models.rollups import DeviceHour, DowntimeReasonEntry, ShiftCalendarEntry
from diagnose.models.sme_index import SmeIndexVersion
from diagnose.models.supervision import AnomalyFlag, EnterpriseOutcome, FlagDecision, SupervisionSummary
from diagnose.models.telemetry import DeadLetter, DeadLetterCount, Device, Telemetry
from diagnose.models.workflow import Attachment

__all__ = [
    "AnomalyFlag",
    "Answer",
    "Assessment",
    "Attachment",
    "AuditChainBoundary",
    "AuditLog",
    "Bureau",
    "BureauProvider",
    "CalendarRule",
    "CollectorAssignment",
    "ContradictionDecision",
    "DeadLetter",
    "DeadLetterCount",
    "Device",
    "DeviceHour",
    "DevicePresence",
    "DiagnosisOrder",
    "DowntimeReasonEntry",
    "Enterprise",
    "EnterpriseOutcome",
    "Equipment",
    "EvidenceSnapshotRecord",
    "FlagDecision",
    "GatewayAccount",
    "IssuedReport",
    "JobWatermark",
    "LoginThrottle",
    "Notification",
    "OrderStaffMember",
    "OrderStatus",
    "PayloadProfileChoice",
    "PolicyVersion",
    "PoolEntry",
    "ProcurementBatch",
    "Provider",
    "Region",
    "ReportJob",
    "Result",
    "Role",
    "ShiftCalendarEntry",
    "SmeAnswer",
    "SmeIndexVersion",
    "SmePilot",
    "SmeResult",
    "StaffRole",
    "StateModelRecord",
    "SubdomainTailoring",
    "SupervisionSummary",
    "TableVersion",
    "Telemetry",
    "User",
]
