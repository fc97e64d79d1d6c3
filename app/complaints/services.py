"""Filing, answering, escalating and closing complaints; who may see the filer; the county's counts.

Identity is need-to-know: a complaint's name and mobile are never on a page by default. The filer chooses whether the
handling school's principal and the county may see them; when allowed, either sees them only by asking on the case
page, and each look is logged (app/audit, "complaint_identity"). Coordinators and everybody else never see them.
Services flush; the request (or `flask enrolment run-due`) commits.
"""

import hashlib
import hmac
import logging
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Role, User
from app.audit import services as audit
from app.audit.models import CONTACTS_VIEW
from app.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from app.extensions import db
from app.messaging import templates
from app.messaging.sms import SmsError, send_template
from app.models_base import local_today, utcnow
from app.notifications.services import notify
from app.schools.models import School
from scheduling import policy

logger = logging.getLogger(__name__)

OPEN_STATUSES = (ComplaintStatus.OPEN, ComplaintStatus.ESCALATED)  # someone still has to act


def respond_by_for(filed_on: date) -> date:
    """The last day the school may answer a complaint filed on this day (school time)."""
    return filed_on + timedelta(days=policy.COMPLAINT_RESPONSE_DAYS)


def token_hash(token: str) -> str:
    """The keyed hash a tracking token is kept as (HMAC with SECRET_KEY)."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"complaint:{token}".encode(), hashlib.sha256).hexdigest()


def by_tracking_token(token: str) -> Complaint | None:
    """The complaint a tracking link stands for (None for any other text)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(db.select(Complaint).filter_by(tracking_hash=token_hash(token)))


def tracking_url(token: str) -> str:
    """The tracking link (a page request builds it; messages carry plain paths, as `run-due` has no request)."""
    return url_for("complaints.track", token=token, _external=True)


def case_path(complaint: Complaint) -> str:
    return f"/complaints/{complaint.id}"


def my_case_path(complaint: Complaint) -> str:
    return f"/complaints/mine/{complaint.id}"


def _words_of(user: User | None):
    """Write a message in the reader's language (the site's default for a filer without an account)."""
    return force_locale((user.locale if user is not None else None) or current_app.config["BABEL_DEFAULT_LOCALE"])


def _school_admins(school_id: int) -> list[User]:
    return list(db.session.scalars(db.select(User).filter_by(school_id=school_id, role=Role.SCHOOL_ADMIN)
                                   .order_by(User.id)))


def _county_officers(county_id: int) -> list[User]:
    return list(db.session.scalars(db.select(User).filter_by(county_id=county_id, role=Role.COUNTY_OFFICER)
                                   .order_by(User.id)))


def _tell_filer(complaint: Complaint, message) -> None:
    """The filer hears of each step: in the inbox (and their channels) with an account, else by SMS to the proven
    number (the complaint template: what happened; the tracking link they were given shows the rest).
    `message` is a lazy text with %(ref)s (and maybe %(day)s), read in the filer's language."""
    with _words_of(complaint.filer):
        subject = str(message) % {"ref": complaint.reference, "day": complaint.respond_by.isoformat()}
    if complaint.filer is not None:
        notify(complaint.filer, subject, "", my_case_path(complaint), school_id=complaint.school_id)
        return
    if complaint.filer_mobile:
        try:
            send_template(complaint.filer_mobile, "complaint", {"subject": templates.shorten(subject)})
        except SmsError:  # the case itself stands; the filer still sees it on the tracking page
            logger.exception("complaint %s: SMS to the filer not sent", complaint.id)


def file_complaint(school: School, category: ComplaintCategory, body: str, *, filer: User | None = None,
                   name: str = "", mobile: str = "", identity_shared: bool = False, offering_id: int | None = None,
                   provider_id: int | None = None) -> tuple[Complaint, str]:
    """File a complaint with the school (answer due in policy.COMPLAINT_RESPONSE_DAYS); the school's administrators
    are told. Returns the complaint and its tracking token (shown to the filer once)."""
    token = secrets.token_urlsafe(24)
    complaint = Complaint(
        school_id=school.id, county_id=school.county_id, category=category, body=body.strip(),
        filer_id=filer.id if filer else None, filer_name="" if filer else name.strip(),
        filer_mobile="" if filer else mobile, identity_shared=identity_shared, tracking_hash=token_hash(token),
        offering_id=offering_id or None, provider_id=provider_id or None, respond_by=respond_by_for(local_today()))
    db.session.add(complaint)
    db.session.flush()
    for admin in _school_admins(school.id):
        with _words_of(admin):
            subject = _("New complaint %(ref)s: answer by %(day)s", ref=complaint.reference,
                        day=complaint.respond_by.isoformat())
        notify(admin, subject, "", case_path(complaint), school_id=school.id)
    _tell_filer(complaint, _l("Complaint %(ref)s received: the school answers by %(day)s"))
    logger.info("complaint %s filed at school %s", complaint.id, school.id)
    return complaint, token


def _move(complaint: Complaint, condition, **values) -> bool:
    """Change the complaint only if it still stands where the step starts (`condition`), in one UPDATE: a school's
    answer and run-due's escalation at the same moment cannot both win. False when it had moved on."""
    result = db.session.execute(db.update(Complaint).where(Complaint.id == complaint.id, condition).values(**values)
                                .execution_options(synchronize_session=False))
    db.session.refresh(complaint)
    return result.rowcount == 1


def answer_by_school(complaint: Complaint, text: str, user: User) -> bool:
    """The school's answer, while the complaint is with it; the filer is told. False when it is no longer the
    school's to answer (answered already, or with the county)."""
    if not _move(complaint, Complaint.status == ComplaintStatus.OPEN, status=ComplaintStatus.ANSWERED,
                 school_answer=text.strip(), answered_at=utcnow(), answered_by_id=user.id):
        return False
    _tell_filer(complaint, _l("The school answered your complaint %(ref)s"))
    return True


def escalate(complaint: Complaint, reason: str) -> bool:
    """Send the complaint to the county (reason "overdue" or "filer"); the county's officers and the filer are told."""
    starts_from = {"overdue": ComplaintStatus.OPEN, "filer": ComplaintStatus.ANSWERED}[reason]
    if not _move(complaint, Complaint.status == starts_from, status=ComplaintStatus.ESCALATED,
                 escalated_at=utcnow(), escalation_reason=reason):
        return False
    for officer in _county_officers(complaint.county_id):
        with _words_of(officer):
            subject = _("Complaint %(ref)s about %(school)s is now with the county", ref=complaint.reference,
                        school=complaint.school.name)
        notify(officer, subject, "", case_path(complaint), school_id=complaint.school_id)
    _tell_filer(complaint, _l("Your complaint %(ref)s is now with the county education bureau"))
    logger.info("complaint %s escalated (%s)", complaint.id, reason)
    return True


def escalate_due(today: date | None = None) -> int:
    """Send every complaint the school left unanswered past its day to the county; how many went."""
    today = today or local_today()
    due = db.session.scalars(db.select(Complaint).where(Complaint.status == ComplaintStatus.OPEN,
                                                        Complaint.respond_by < today).order_by(Complaint.id))
    return sum(escalate(complaint, "overdue") for complaint in list(due))


def close_by_county(complaint: Complaint, text: str, user: User) -> bool:
    """The county's answer closes the complaint (whatever the school did); the filer and the school are told."""
    if not _move(complaint, Complaint.status != ComplaintStatus.CLOSED, status=ComplaintStatus.CLOSED,
                 county_answer=text.strip(), closed_at=utcnow(), closed_by_id=user.id):
        return False
    _tell_filer(complaint, _l("The county answered and closed your complaint %(ref)s"))
    for admin in _school_admins(complaint.school_id):
        with _words_of(admin):
            subject = _("The county closed complaint %(ref)s", ref=complaint.reference)
        notify(admin, subject, "", case_path(complaint), school_id=complaint.school_id)
    return True


# --- Who sees the filer ---

def may_see_identity(complaint: Complaint, user: User) -> bool:
    """The filer allowed it, and the user is the handling school's principal or an officer of its county."""
    if not complaint.identity_shared or not user.is_authenticated:
        return False
    if user.role is Role.COUNTY_OFFICER:
        return user.county_id == complaint.county_id
    return user.is_principal and user.school_id == complaint.school_id


@dataclass
class Identity:
    name: str
    mobile: str


def reveal_identity(complaint: Complaint, user: User) -> Identity | None:
    """The filer's name and mobile for someone allowed to see them, the look logged; None for anyone else."""
    if not may_see_identity(complaint, user):
        return None
    audit.record(CONTACTS_VIEW, "complaint_identity", user=user, subject=complaint.reference,
                 school_id=complaint.school_id, county_id=complaint.county_id)
    if complaint.filer is not None:
        return Identity(complaint.filer.name or "", complaint.filer.mobile or "")
    return Identity(complaint.filer_name, complaint.filer_mobile)


# --- Lists and counts ---

def school_cases(school_id: int) -> list[Complaint]:
    """A school's complaints, those waiting for it first (earliest deadline first), then the rest newest first."""
    rows = db.session.scalars(db.select(Complaint).filter_by(school_id=school_id).order_by(Complaint.id.desc()))
    rows = list(rows)
    waiting = sorted((c for c in rows if c.status is ComplaintStatus.OPEN), key=lambda c: (c.respond_by, c.id))
    return waiting + [c for c in rows if c.status is not ComplaintStatus.OPEN]


def filer_cases(user: User) -> list[Complaint]:
    """The complaints a guardian filed, newest first."""
    return list(db.session.scalars(db.select(Complaint).filter_by(filer_id=user.id).order_by(Complaint.id.desc())))


def filer_record(user: User) -> list[dict]:
    """What the site holds of a guardian's complaints, for 我的数据 (PIPL Art. 45)."""
    return [{"reference": c.reference, "school": c.school.name, "category": c.category.value, "complaint": c.body,
             "identity_shared": c.identity_shared, "status": c.status.value, "filed_at": c.filed_at.isoformat(),
             "school_answer": c.school_answer, "county_answer": c.county_answer} for c in filer_cases(user)]


@dataclass
class Counts:
    """Complaints of one school (or one category) by where they stand."""

    total: int = 0
    by_status: Counter = field(default_factory=Counter)
    overdue: int = 0  # with the school past its day (run-due sends these on)

    @property
    def open(self) -> int:
        return self.by_status[ComplaintStatus.OPEN] + self.by_status[ComplaintStatus.ESCALATED]


@dataclass
class CountyFigures:
    schools: list[tuple[School, Counts]]
    categories: list[tuple[ComplaintCategory, Counts]]
    total: Counts


def county_figures(county_id: int, today: date | None = None) -> CountyFigures:
    """Every complaint of the county's schools counted by school and by category, in one grouped query."""
    today = today or local_today()
    overdue = (Complaint.status == ComplaintStatus.OPEN) & (Complaint.respond_by < today)
    rows = db.session.execute(
        db.select(Complaint.school_id, Complaint.category, Complaint.status, overdue.label("overdue"),
                  db.func.count()).where(Complaint.county_id == county_id)
        .group_by(Complaint.school_id, Complaint.category, Complaint.status, overdue))
    schools = list(db.session.scalars(db.select(School).filter_by(county_id=county_id).order_by(School.name)))
    by_school = {s.id: Counts() for s in schools}
    by_category = {c: Counts() for c in ComplaintCategory}
    total = Counts()
    for school_id, category, status, is_overdue, n in rows:
        for counts in (by_school.setdefault(school_id, Counts()), by_category[category], total):
            counts.total += n
            counts.by_status[status] += n
            counts.overdue += n if is_overdue else 0
    return CountyFigures([(s, by_school[s.id]) for s in schools], list(by_category.items()), total)


def open_cases(county_id: int, *, school_id: int | None = None,
               category: ComplaintCategory | None = None) -> list[Complaint]:
    """The county's complaints someone still has to answer, the county's own first, then by deadline."""
    query = db.select(Complaint).where(Complaint.county_id == county_id, Complaint.status.in_(OPEN_STATUSES))
    if school_id is not None:
        query = query.where(Complaint.school_id == school_id)
    if category is not None:
        query = query.where(Complaint.category == category)
    rows = list(db.session.scalars(query.options(db.joinedload(Complaint.school))))
    return sorted(rows, key=lambda c: (c.status is not ComplaintStatus.ESCALATED, c.respond_by, c.id))


# --- Contacts ---

def save_school_contacts(school: School, phone: str, email: str) -> None:
    """Where families take a complaint about this school (the notice and the county's public page show it)."""
    school.complaint_phone, school.complaint_email = phone.strip(), email.strip()
    school.complaint_contacts_updated_at = utcnow()
    db.session.flush()


def save_county_contacts(county, phone: str, email: str, address: str) -> None:
    """Where the public takes a complaint to the county (the public page, the whitelist, every notice)."""
    county.complaint_phone, county.complaint_email = phone.strip(), email.strip()
    county.complaint_address = address.strip()
    county.complaint_contacts_updated_at = utcnow()
    db.session.flush()
