"""Record and list who saw health notes, who exported what, and security events (PIPL 个人信息保护法).

Other domains call these with one line where the thing happens; the row is written with the request's commit (the
caller's, as for everything else the request changed). A record names what was seen (a child's number, an export's
name), never the data itself.
"""

import functools
from datetime import date, datetime, time, timedelta

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select
from sqlalchemy import inspect as sa_inspect

from app.audit.models import CONTACTS_VIEW, EXPORT, HEALTH_VIEW, SECURITY, LogEntry
from app.extensions import db
from app.models_base import utcnow

EVENT_LABELS = {
    "login": _l("Logged in"),
    "login_failed": _l("Failed login"),
    "login_refused": _l("Login refused: the provider may not work now"),
    "password_changed": _l("Password changed"),
    "password_reset": _l("Password reset by SMS code"),
    "mobile_changed": _l("Login number changed"),
    "code_requested": _l("SMS code requested"),
    "access_denied": _l("Access refused"),
    "provider_suspended": _l("Provider suspended"),
    "provider_exited": _l("Provider removed from the whitelist"),
    "forced_logout": _l("Logged out everywhere"),
    "session_children": _l("Children of a session (health notes)"),
    "application": _l("Application page (health notes)"),
    "application_edit": _l("Application form being changed (health notes)"),
    "roster_xlsx": _l("Roster (XLSX)"),
    "workload_xlsx": _l("Workload (XLSX)"),
    "my_week_xlsx": _l("My week (XLSX)"),
    "draw_record": _l("Draw record"),
    "my_data_json": _l("A guardian's own data (JSON)"),
    "my_data_xlsx": _l("A guardian's own data (XLSX)"),
    "consent_withdrawn": _l("Separate consent withdrawn (health notes or family situation)"),
    "account_erased": _l("Guardian account erased at their request"),
    "pickup_code_refused": _l("Pickup code refused: too many wrong codes for a child today"),
    "session_contacts": _l("Emergency contacts of a session (guardians' phone numbers)"),
    "complaint_identity": _l("A complainant's name and mobile number"),
}
KIND_LABELS = {HEALTH_VIEW: _l("Health notes seen"), EXPORT: _l("Exports"), SECURITY: _l("Security"),
               CONTACTS_VIEW: _l("Phone numbers seen")}


def _who(user):
    if user is not None:
        return user
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _place_of(user) -> tuple[int | None, int | None]:
    """The school and county a user's log rows belong to: the account's own; a guardian's, their first child's. A
    family loaded with the account is read as it is; else the two ids come in one statement (no links, children or
    schools loaded for a log row)."""
    if user is None:
        return None, None
    if user.school_id is not None or user.county_id is not None or user.provider_id is not None:
        return user.school_id, user.effective_county_id
    if "guardian_links" not in sa_inspect(user).unloaded:
        links = [link for link in user.guardian_links if link.student is not None]
        return (links[0].student.school_id, links[0].student.school.county_id) if links else (None, None)
    with db.session.no_autoflush:  # what waits (a login's time) is written with the log row, in one flush
        row = db.session.execute(_first_childs_place(), {"guardian_id": user.id}).first()
    return (row.school_id, row.county_id) if row else (None, None)


@functools.cache
def _first_childs_place() -> Select:
    """A guardian's first child's school and county; built once per process, the guardian's id bound each time."""
    from app.accounts.models import GuardianLink
    from app.schools.models import School, Student

    return (db.select(Student.school_id, School.county_id)
            .join(GuardianLink, GuardianLink.student_id == Student.id).join(School, School.id == Student.school_id)
            .filter(GuardianLink.guardian_id == db.bindparam("guardian_id"))
            .order_by(GuardianLink.id).limit(1).execution_options(prepare=True))


def record(kind: str, event: str, *, user=None, subject: str = "", school_id: int | None = None,
           county_id: int | None = None) -> LogEntry:
    """One log row for `user` (default: whoever is logged in), shown to their school's principal and county."""
    user = _who(user)
    if school_id is None:
        school_id, their_county = _place_of(user)
        county_id = county_id if county_id is not None else their_county
    if county_id is None and user is not None:
        county_id = user.effective_county_id
    if county_id is None and school_id is not None:
        from app.schools.models import School
        school = db.session.get(School, school_id)
        county_id = school.county_id if school else None
    entry = LogEntry(kind=kind, event=event, actor_id=user.id if user is not None else None, school_id=school_id,
                     county_id=county_id, subject=subject[:200],
                     address=(request.remote_addr or "")[:64] if has_request_context() else "")
    db.session.add(entry)  # written with the request's commit (or before any query that could read it)
    return entry


def security(event: str, user=None, *, subject: str = "", school_id: int | None = None,
             county_id: int | None = None) -> LogEntry:
    """A login, failed login, password or number change, code request, refusal, suspension or forced logout."""
    return record(SECURITY, event, user=user, subject=subject, school_id=school_id, county_id=county_id)


def health_view(event: str, school_id: int, subject: str) -> LogEntry:
    """The logged-in user was shown children's health notes (subject: which children, by number)."""
    return record(HEALTH_VIEW, event, subject=subject, school_id=school_id)


def contacts_view(event: str, school_id: int, subject: str) -> LogEntry:
    """The logged-in user was shown guardians' phone numbers (subject: which session and children, by number)."""
    return record(CONTACTS_VIEW, event, subject=subject, school_id=school_id)


def export(event: str, subject: str, school_id: int | None = None) -> LogEntry:
    """The logged-in user downloaded a file of personal information (subject: which one)."""
    return record(EXPORT, event, subject=subject, school_id=school_id)


def entries_for(viewer, *, kind: str | None = None, since: date | None = None, until: date | None = None,
                limit: int = 500) -> list[LogEntry]:
    """The rows a principal (own school) or county officer (own county) may see, newest first."""
    query = db.select(LogEntry).order_by(LogEntry.created_at.desc(), LogEntry.id.desc()).limit(limit)
    if viewer.school_id is not None:
        query = query.where(LogEntry.school_id == viewer.school_id)
    else:
        query = query.where(LogEntry.county_id == viewer.county_id)
    if kind:
        query = query.where(LogEntry.kind == kind)
    if since:
        query = query.where(LogEntry.created_at >= datetime.combine(since, time.min))
    if until:
        query = query.where(LogEntry.created_at < datetime.combine(until + timedelta(days=1), time.min))
    return list(db.session.scalars(query))


def purge_older_than(days: int, now: datetime | None = None) -> int:
    """Delete log rows past their own retention; how many went."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = db.session.execute(db.delete(LogEntry).where(LogEntry.created_at < cutoff))
    return result.rowcount or 0
