"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from app.accounts.models import AdminTitle, CodePurpose, GuardianLink, OneTimeCode, Relationship, Role, User
from app.audit.models import LogEntry
from app.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from app.county.models import (
    ClassDayFact,
    FactsRefresh,
    SchoolDayFact,
    SessionClassFact,
    SessionFact,
    StaffLoadFact,
)
from app.county.plan_models import CountyPlan
from app.daily.models import (
    AdvanceAbsence,
    Alert,
    AlertKind,
    AttendanceChange,
    AttendanceMark,
    Incident,
    IncidentCategory,
    Mark,
    PickupAdult,
    PickupCodeAttempt,
    SignOut,
    SignOutMethod,
)
from app.enrolment.models import (
    ActivityChoice,
    Application,
    ApplicationStatus,
    AuditEvent,
    ChoiceStatus,
    HardshipStatus,
    LedgerEntry,
    LedgerKind,
    Lottery,
    Pickup,
    Seat,
)
from app.notifications.models import Delivery, DeliveryStatus, Notification, NotificationPreference
from app.ops.models import ProcessHeartbeat
from app.privacy.models import NoticeAcceptance, PrivacyNotice, SensitiveConsent
from app.programs.models import Activity, AgreementText, FeePeriod, NoticeVersion, Offering, OfferingKind, PriorityGroup
from app.providers.models import Provider, ProviderEvaluation, ProviderStatus, ProviderStatusChange
from app.rosters.absence import AbsenceStatus, SessionAbsence
from app.rosters.models import (
    Assignment,
    PlannedSession,
    RosterJob,
    RosterJobKind,
    RosterJobStatus,
    RosterSettings,
    RosterVersion,
    SessionTemplate,
    Week,
)
from app.schools.models import County, Grade, Holiday, HolidayKind, School, SchoolClass, SchoolType, Student, Term
from app.staff.models import StaffProfile, StaffType, StaffUnavailability, TeachingMinutes
from app.surveys.models import ActivityRating, GuardianAnswer, StaffAnswer, Survey

__all__ = [
    "AdvanceAbsence", "Alert", "AlertKind", "AttendanceChange", "AttendanceMark", "Incident", "IncidentCategory",
    "Mark", "PickupAdult", "PickupCodeAttempt", "SignOut", "SignOutMethod",
    "LogEntry",
    "Complaint", "ComplaintCategory", "ComplaintStatus",
    "ClassDayFact", "FactsRefresh", "SchoolDayFact", "SessionClassFact", "SessionFact", "StaffLoadFact",
    "Activity", "ActivityChoice", "AgreementText", "Application", "ApplicationStatus", "AuditEvent", "ChoiceStatus",
    "CodePurpose", "OneTimeCode",
    "FeePeriod", "HardshipStatus", "LedgerEntry", "LedgerKind", "Lottery", "NoticeVersion", "Notification", "Offering",
    "OfferingKind", "Pickup", "PriorityGroup", "Seat",
    "AdminTitle", "County", "Grade", "GuardianLink", "Holiday", "HolidayKind", "Provider", "ProviderEvaluation",
    "ProviderStatus", "ProviderStatusChange", "Relationship", "Role", "School", "SchoolClass", "SchoolType",
    "StaffProfile", "StaffType", "StaffUnavailability", "Student", "TeachingMinutes", "Term", "User",
    "Assignment", "PlannedSession", "RosterJob", "RosterJobKind", "RosterJobStatus", "RosterSettings", "RosterVersion",
    "SessionTemplate", "Week",
    "AbsenceStatus", "SessionAbsence",
    "NoticeAcceptance", "PrivacyNotice", "SensitiveConsent",
    "Delivery", "DeliveryStatus", "NotificationPreference",
    "ActivityRating", "GuardianAnswer", "StaffAnswer", "Survey",
    "CountyPlan",
    "ProcessHeartbeat",
]
