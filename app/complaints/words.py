"""The complaints' words: categories and statuses in Chinese (English when chosen), never their codes alone."""

from flask_babel import lazy_gettext as _l

from app.complaints.models import ComplaintCategory, ComplaintStatus

CATEGORY_LABELS = {
    ComplaintCategory.FEES: _l("Fees outside the published standard"),
    ComplaintCategory.FORCED: _l("Forced participation"),
    ComplaintCategory.NEW_LESSONS: _l("New lessons taught in the service"),
    ComplaintCategory.SAFETY: _l("Safety"),
    ComplaintCategory.PROVIDER: _l("An outside provider"),
    ComplaintCategory.OTHER: _l("Something else"),
}
STATUS_LABELS = {
    ComplaintStatus.OPEN: _l("With the school, awaiting its answer"),
    ComplaintStatus.ANSWERED: _l("Answered by the school"),
    ComplaintStatus.ESCALATED: _l("With the county education bureau"),
    ComplaintStatus.CLOSED: _l("Closed by the county"),
}
SHORT_STATUS_LABELS = {
    ComplaintStatus.OPEN: _l("Open"),
    ComplaintStatus.ANSWERED: _l("Answered"),
    ComplaintStatus.ESCALATED: _l("With the county"),
    ComplaintStatus.CLOSED: _l("Concluded"),
}
ESCALATION_LABELS = {
    "overdue": _l("the school did not answer in time"),
    "filer": _l("the complainant was not satisfied with the school's answer"),
}
