"""Pickup hand-over: the adults a family allows to collect a child (the guardians themselves among them), their codes,
and signing a child out at the end of their day — by the adult's code of the day, by a listed adult whose ID the
staff member checked, or as walking home alone where the family gave that consent.

Wrong codes are limited per child and day (scheduling.policy.PICKUP_CODE_TRIES_PER_DAY): past the limit codes are
refused for that child for the rest of the day (a listed adult with an ID check still works) and each refused try is
in the security log. Services flush; the request commits.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.accounts.models import GuardianLink, User
from app.audit import services as audit
from app.daily import access, codes
from app.daily.day import expected_on, last_sessions, sessions_on, sign_outs_on
from app.daily.models import (
    Alert,
    AlertKind,
    AttendanceMark,
    PickupAdult,
    PickupCodeAttempt,
    SignOut,
    SignOutMethod,
    new_pickup_secret,
)
from app.enrolment.models import Application, Pickup
from app.extensions import db
from app.models_base import local_time, local_today, utcnow
from app.notifications.services import notify
from app.rosters.expected import expected_application
from app.rosters.models import PlannedSession
from app.schools.models import Student
from scheduling.policy import PICKUP_CODE_TRIES_PER_DAY

logger = logging.getLogger(__name__)


# --- The adults who may collect a child ----------------------------------------------------------------------------


def adults_of(student_ids) -> dict[int, list[PickupAdult]]:
    """The listed (not removed) adults of each child, oldest first. An adult listed by a guardian whose link to the
    child no longer holds (removed by the school, or the account erased) is left out: their codes stop working, as
    every other access that link gave."""
    ids = list(set(student_ids))
    found: dict[int, list[PickupAdult]] = {sid: [] for sid in ids}
    if not ids:
        return found
    confirmed = set(db.session.execute(select(GuardianLink.student_id, GuardianLink.guardian_id)
                                       .where(GuardianLink.student_id.in_(ids), GuardianLink.verified.is_(True))).all())
    for adult in db.session.scalars(select(PickupAdult).where(PickupAdult.student_id.in_(ids),
                                                              PickupAdult.removed_at.is_(None))
                                    .order_by(PickupAdult.added_at, PickupAdult.id)):
        if adult.added_by_id is None or (adult.student_id, adult.added_by_id) in confirmed:
            found[adult.student_id].append(adult)
    return found


def guardian_mobiles(student: Student) -> set[str]:
    """The mobiles of the child's confirmed guardians: an entry with one of them is that guardian's own."""
    return {g.mobile for g in access.guardians_to_tell(student) if g.mobile}


def is_guardian_entry(adult: PickupAdult) -> bool:
    """Whether the listed adult is one of the child's confirmed guardians (they cannot be removed, only renewed)."""
    return adult.mobile in guardian_mobiles(adult.student)


def list_guardians(students) -> None:
    """Every confirmed guardian collects their own child with their own code: list each one (by mobile) who is not
    listed yet. Called when the family's page or the hand-over list is opened."""
    from app.schools.forms import RELATIONSHIP_LABELS

    students = list(students)
    listed = adults_of(s.id for s in students)
    links: dict[int, list[GuardianLink]] = {}
    for link in db.session.scalars(select(GuardianLink).where(
            GuardianLink.student_id.in_([s.id for s in students]), GuardianLink.verified.is_(True))
            .options(selectinload(GuardianLink.guardian)).order_by(GuardianLink.id)):
        links.setdefault(link.student_id, []).append(link)
    added = False
    for student in students:
        mobiles = {a.mobile for a in listed[student.id]}
        for link in links.get(student.id, []):
            guardian = link.guardian
            if not guardian.mobile or guardian.mobile in mobiles:
                continue
            with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # the school's language: staff read it
                relation = str(RELATIONSHIP_LABELS.get(link.relationship_kind, ""))[:20]
            db.session.add(PickupAdult(student_id=student.id, name=(guardian.name or "")[:50], relation=relation,
                                       mobile=guardian.mobile, added_by_id=guardian.id))
            mobiles.add(guardian.mobile)
            added = True
    if added:
        db.session.flush()


def add_adult(student: Student, *, name: str, relation: str, mobile: str, by: User) -> PickupAdult:
    """List another adult who may collect the child."""
    adult = PickupAdult(student_id=student.id, name=name.strip(), relation=relation.strip(), mobile=mobile.strip(),
                        added_by_id=by.id)
    db.session.add(adult)
    db.session.flush()
    return adult


def remove_adult(adult: PickupAdult) -> None:
    """The adult may no longer collect the child: their codes stop working at once."""
    adult.removed_at = utcnow()
    db.session.flush()


def renew_code(adult: PickupAdult) -> None:
    """A new secret: the adult's codes (today's and every later day's) change; the old ones stop working."""
    adult.secret = new_pickup_secret()
    db.session.flush()


def adult_of_child(student: Student, adult_id: int) -> PickupAdult | None:
    """A listed adult of this child (None for a removed one or one of another child)."""
    return next((adult for adult in adults_of([student.id])[student.id] if adult.id == adult_id), None)


# --- The hand-over list --------------------------------------------------------------------------------------------


def signed_out_today(student: Student, day: date | None = None) -> SignOut | None:
    """The child's sign-out on a day (school time; today by default): who took them, when, how, which staff."""
    return sign_outs_on([student.id], day or local_today()).get(student.id)


def wrong_codes_on(student_ids, day: date) -> dict[int, int]:
    """Wrong pickup codes typed for each child on a day."""
    ids = list(set(student_ids))
    if not ids:
        return {}
    rows = db.session.execute(select(PickupCodeAttempt.student_id, func.count(PickupCodeAttempt.id))
                              .where(PickupCodeAttempt.student_id.in_(ids), PickupCodeAttempt.on_date == day,
                                     PickupCodeAttempt.succeeded.is_(False))
                              .group_by(PickupCodeAttempt.student_id))
    return dict(rows.all())


def may_walk_alone(application: Application) -> bool:
    """The family chose that the child walks home (or, at evening study, leaves) alone, and consented."""
    return application.pickup is Pickup.WALKS_ALONE and bool(application.walk_alone_consent)


@dataclass
class HandoverChild:
    """One child on the hand-over list."""

    application: Application
    student: Student
    mark: AttendanceMark | None
    signed_out: SignOut | None
    adults: list[PickupAdult]
    walks_alone: bool
    wrong_codes: int

    @property
    def codes_refused(self) -> bool:
        return self.wrong_codes >= PICKUP_CODE_TRIES_PER_DAY


@dataclass
class Handover:
    """The hand-over list of one session: children whose day ends here, and those who go on to a later session."""

    session: PlannedSession
    ending: list[HandoverChild] = field(default_factory=list)
    going_on: list[tuple[Application, PlannedSession]] = field(default_factory=list)


def _day_of(session: PlannedSession) -> tuple[dict, dict]:
    """expected_children of the school's sessions that day, and where each child's day ends."""
    sessions = sessions_on(access.school_id_of(session), session.on_date)
    expected = expected_on(access.school_id_of(session), session.on_date)
    return expected, last_sessions(sessions, expected)


def handover(session: PlannedSession) -> Handover:
    """The session's hand-over list (the guardians listed as collecting adults on the way)."""
    expected, last = _day_of(session)
    here = expected[session.id].children
    result = Handover(session)
    ending = [a for a in here if last[a.student_id].id == session.id]
    result.going_on = [(a, last[a.student_id]) for a in here if last[a.student_id].id != session.id]
    ids = [a.student_id for a in ending]
    list_guardians(a.student for a in ending)
    marks = {m.student_id: m for m in db.session.scalars(
        select(AttendanceMark).where(AttendanceMark.session_id == session.id, AttendanceMark.student_id.in_(ids)))}
    outs, adults, wrong = sign_outs_on(ids, session.on_date), adults_of(ids), wrong_codes_on(ids, session.on_date)
    result.ending = [HandoverChild(a, a.student, marks.get(a.student_id), outs.get(a.student_id),
                                   adults[a.student_id], may_walk_alone(a), wrong.get(a.student_id, 0))
                     for a in ending]
    return result


def application_in(session: PlannedSession, student_id: int) -> Application | None:
    """The application that makes the child expected in this session (None: not expected here)."""
    return expected_application(session, student_id)


# --- Signing a child out -------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a sign-out did: `signed_out` (new), `already`, or refused with `error` (and `status` to answer with)."""

    sign_out: SignOut | None = None
    already: bool = False
    error: str = ""
    status: int = 200
    tries_left: int | None = None


def _check_code(session: PlannedSession, student: Student, typed: str, staff: User) -> tuple[PickupAdult | None,
                                                                                              Outcome | None]:
    """The adult whose code of the day was typed, or a refusal (a wrong code counted; too many refused).

    Race-safe per child: sign_out holds the child's row lock (PostgreSQL) and the try is written before the earlier
    ones are counted (SQLite lets one writer in at a time), so parallel wrong codes never go past the limit."""
    day = session.on_date
    attempt = PickupCodeAttempt(student_id=student.id, on_date=day, staff_id=staff.id, succeeded=False)
    db.session.add(attempt)
    db.session.flush()
    wrong = db.session.scalar(select(func.count(PickupCodeAttempt.id)).where(
        PickupCodeAttempt.student_id == student.id, PickupCodeAttempt.on_date == day,
        PickupCodeAttempt.succeeded.is_(False), PickupCodeAttempt.id != attempt.id))
    if wrong >= PICKUP_CODE_TRIES_PER_DAY:
        db.session.delete(attempt)  # not a try: codes were no longer taken
        audit.security("pickup_code_refused", staff, subject=f"child #{student.id} session #{session.id}",
                       school_id=student.school_id)
        return None, Outcome(error=gettext("Too many wrong codes for this child today: codes are refused. Choose a "
                                           "listed adult and check their ID."), status=422, tries_left=0)
    adult = next((a for a in adults_of([student.id])[student.id] if codes.matches(a, day, typed)), None)
    if adult is not None:
        attempt.succeeded = True
        db.session.flush()
        return adult, None
    left = max(PICKUP_CODE_TRIES_PER_DAY - wrong - 1, 0)
    if left == 0:
        audit.security("pickup_code_refused", staff, subject=f"child #{student.id} session #{session.id}",
                       school_id=student.school_id)
    return None, Outcome(error=gettext("Wrong code."), status=422, tries_left=left)


def sign_out(session: PlannedSession, student_id: int, *, method: str, staff: User, code: str = "",
             adult_id: int | None = None) -> Outcome:
    """Hand a child of this session over (see the module text). A child already signed out that day: `already`,
    nothing changes. Only on the session's day (school time): a sign-out is what happened, never a plan."""
    if session.on_date != local_today():
        return Outcome(error=gettext("Children are signed out on the session's day only."), status=409)
    application = application_in(session, student_id)
    if application is None:
        return Outcome(error=gettext("This child is not expected in this session."), status=409)
    student = application.student
    # One hand-over of a child at a time (PostgreSQL; SQLite lets one writer in at a time): the check below then
    # sees a sign-out another staff member just made, and wrong codes are counted in order. NO KEY UPDATE: rows
    # that merely point at the child (register marks) are not held up.
    db.session.execute(select(Student.id).where(Student.id == student.id).with_for_update(key_share=True))
    done = sign_outs_on([student.id], session.on_date).get(student.id)
    if done is not None:
        return Outcome(sign_out=done, already=True)
    adult = None
    if method == "code":
        adult, refused = _check_code(session, student, code, staff)
        if refused is not None:
            return refused
        how = SignOutMethod.CODE
    elif method == "adult":
        adult = adult_of_child(student, adult_id) if adult_id else None
        if adult is None:
            return Outcome(error=gettext("Choose one of the adults the family listed."), status=409)
        how = SignOutMethod.LISTED_ADULT
    elif method == "alone":
        if not may_walk_alone(application):
            return Outcome(error=gettext("The family did not consent to this child going home alone."), status=409)
        how = SignOutMethod.WALKS_ALONE
    else:
        return Outcome(error=gettext("Choose how the child goes home."), status=400)
    record = SignOut(session_id=session.id, student_id=student.id, method=how, adult_id=adult.id if adult else None,
                     adult_name=adult.name if adult else "", staff_id=staff.id)
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:  # another staff member signed the child out at the same moment
        return Outcome(sign_out=sign_outs_on([student.id], session.on_date).get(student.id), already=True)
    resolve_not_collected(record, student, staff)
    tell_family(record, student)
    return Outcome(sign_out=record)


def resolve_not_collected(record: SignOut, student: Student, staff: User) -> None:
    """A child signed out is no longer "not collected": the day's open alert of that kind is resolved, saying how."""
    open_alerts = db.session.scalars(select(Alert).join(PlannedSession, PlannedSession.id == Alert.session_id).where(
        Alert.student_id == student.id, Alert.kind == AlertKind.NOT_COLLECTED, Alert.resolved_at.is_(None),
        PlannedSession.on_date == record.session.on_date)).all()
    if not open_alerts:
        return
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # the school's language: the board reads it
        note = gettext("Signed out at %(time)s (%(adult)s)", time=local_time(record.signed_out_at).strftime("%H:%M"),
                       adult=record.adult_name or gettext("went home alone"))
    for alert in open_alerts:
        alert.resolved_at, alert.resolved_by_id, alert.resolution = utcnow(), staff.id, note
    db.session.flush()


def tell_family(record: SignOut, student: Student) -> None:
    """The child's confirmed guardians hear who collected the child and when, in their own language."""
    at = local_time(record.signed_out_at or utcnow()).strftime("%H:%M")
    for guardian in access.guardians_to_tell(student):
        with force_locale(guardian.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            if record.method is SignOutMethod.WALKS_ALONE:
                subject = gettext("%(child)s left at %(time)s to go home alone", child=student.name, time=at)
            else:
                subject = gettext("%(child)s was collected at %(time)s by %(adult)s", child=student.name, time=at,
                                  adult=record.adult_name)
        notify(guardian, subject, "", url_for("daily.child_days", student_id=student.id),
               school_id=student.school_id)
