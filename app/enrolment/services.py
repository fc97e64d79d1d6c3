"""Enrolment work: applying, reviewing, approving, withdrawing and fees (places: allocation.py; inbox and audit:
records.py). Services flush; the request commits once."""

import logging
from datetime import date, datetime
from functools import cache

from flask_babel import gettext
from sqlalchemy import Select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import GuardianLink, User
from app.enrolment import allocation
from app.enrolment.models import (
    ActivityChoice,
    Application,
    ApplicationStatus,
    ChoiceStatus,
    HardshipStatus,
    LedgerEntry,
    LedgerKind,
    new_ticket,
)
from app.enrolment.records import N_, audit, notify_family_and_class_teacher, notify_guardian
from app.extensions import db
from app.models_base import local_today, utcnow
from app.privacy import services as privacy
from app.programs import window
from app.programs.models import AgreementText, FeePeriod, NoticeVersion, Offering
from app.programs.services import notice_content
from app.schools.models import Student
from scheduling.policy import FEE_SPAN_MONTHS

logger = logging.getLogger(__name__)

EDITABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.CONFIRMED)


# --- Guardians ---


def verified_link(guardian: User, student: Student) -> GuardianLink | None:
    """The guardian's link to the child, whatever its state (None when there is none)."""
    return next((link for link in guardian.guardian_links if link.student_id == student.id), None)


def open_offerings(student: Student, now: datetime) -> list[Offering]:
    """The child's school's published offerings taking applications now."""
    offerings = db.session.scalars(db.select(Offering).filter(
        Offering.school_id == student.school_id, Offering.published_version > 0,
        Offering.apply_deadline >= local_today(),
    ).order_by(Offering.starts_on)).all()
    return [o for o in offerings if window.accepts_applications(o, now)]


def may_change(application: Application, now: datetime) -> bool:
    """The guardian may still change the choices: under review, applications open, and nothing allocated yet."""
    return (application.status in EDITABLE and window.accepts_applications(application.offering, now)
            and all(c.status is ChoiceStatus.PENDING for c in application.choices)
            and not allocation.needs_arrival_placement(application.offering))


def may_edit(application: Application, now: datetime) -> bool:
    """The guardian may open the application's form: a returned one to fix and send again, whenever it was returned
    (its activity choices stay as they are once `may_change` no longer holds); any other while `may_change`."""
    return application.status is ApplicationStatus.RETURNED or may_change(application, now)


def children_for_offering(guardian: User, offering: Offering,
                          also: Student | None = None) -> list[tuple[Student, Application | None]]:
    """The guardian's confirmed children at the offering's school (and `also`, the child the page is for), each with
    its application to it if any, read in one statement: the apply page shows the child it is for and lets the
    guardian pick another of these."""
    children = sorted({link.student for link in guardian.guardian_links
                       if (link.verified and link.student.school_id == offering.school_id) or link.student is also},
                      key=lambda student: (student.name, student.id))
    applications = {a.student_id: a for a in db.session.scalars(_family_applications(), {
        "offering_id": offering.id, "student_ids": [s.id for s in children]})} if children else {}
    return [(student, applications.get(student.id)) for student in children]


@cache
def _family_applications() -> Select:
    """These children's applications to an offering; built once per process, the ids bound at each request."""
    return db.select(Application).filter(
        Application.offering_id == db.bindparam("offering_id"),
        Application.student_id.in_(db.bindparam("student_ids", expanding=True))).execution_options(prepare=True)


# --- Siblings ---


def linked_siblings(application: Application) -> list[Application]:
    """The other applications linked with this one for the draw."""
    if application.sibling_group is None:
        return []
    return list(db.session.scalars(db.select(Application).filter(
        Application.sibling_group == application.sibling_group, Application.id != application.id,
        Application.status != ApplicationStatus.WITHDRAWN).order_by(Application.id)))


def sibling_candidates(application: Application, now: datetime) -> list[Application]:
    """The guardian's other children's applications to the same offering that can still be linked with this one."""
    offering = application.offering
    if not offering.siblings_together or not window.before_draw(offering, now) or not application.is_active:
        return []
    children = [link.student_id for link in application.guardian.guardian_links if link.verified]
    if set(children) <= {application.student_id}:
        return []  # no other child: nothing to ask (a child has one application per offering)
    others = db.session.scalars(db.select(Application).filter(
        Application.offering_id == offering.id, Application.student_id.in_(children),
        Application.id != application.id, Application.status != ApplicationStatus.WITHDRAWN,
    ).order_by(Application.id)).all()
    return [a for a in others if application.sibling_group is None or a.sibling_group != application.sibling_group]


def link_siblings(application: Application, other: Application, guardian: User) -> None:
    """Put two applications (and any already linked to either) in one sibling group for the draw."""
    group = application.sibling_group or other.sibling_group or new_ticket()
    for member in {application, other, *linked_siblings(application), *linked_siblings(other)}:
        member.sibling_group = group
    db.session.flush()
    audit(application.school_id, guardian, "link_siblings", application, f"{application.id}+{other.id}")


def unlink_siblings(application: Application, guardian: User) -> None:
    """Take this application out of its sibling group (a group of one is no group)."""
    rest = linked_siblings(application)
    application.sibling_group = None
    if len(rest) == 1:
        rest[0].sibling_group = None
    db.session.flush()
    audit(application.school_id, guardian, "unlink_siblings", application)


@cache
def _offering_and_agreement_statement() -> Select:
    """Built once per process (its cache key too); the offering's id bound at each request."""
    newest = db.select(db.func.max(AgreementText.version)).filter(
        AgreementText.school_id == Offering.school_id).correlate(Offering).scalar_subquery()
    return (db.select(Offering, AgreementText).outerjoin(AgreementText, db.and_(
        AgreementText.school_id == Offering.school_id, AgreementText.version == newest))
        .filter(Offering.id == db.bindparam("offering_id")).options(joinedload(Offering.activities))
        .execution_options(prepare=True))


def offering_and_agreement(offering_id: int) -> tuple[Offering | None, AgreementText | None]:
    """The offering with its activities, and its school's newest agreement (current_agreement's), in one statement."""
    row = db.session.execute(_offering_and_agreement_statement(), {"offering_id": offering_id}).unique().first()
    return (row[0], row[1]) if row is not None else (None, None)


def application_for(student: Student, offering: Offering) -> Application | None:
    return db.session.scalar(db.select(Application).filter_by(student_id=student.id, offering_id=offering.id))


def _copy_choices(application: Application, form) -> None:
    """The form's answers onto the application; its activity choices and priority groups only while they may still
    change (`form.choices_locked` otherwise: they went into the draw or the first-come places as they were)."""
    application.weekdays = sorted(form.weekdays.data)
    application.evening_study = bool(form.evening_study.data)
    application.pickup = form.pickup_value()
    application.pickup_people = form.pickup_people.data or ""
    application.walk_alone_consent = bool(form.walk_alone_consent.data)
    privacy.keep_health_notes(application, form.health_notes.data or "", bool(form.health_consent.data))
    if not form.hardship.data:
        application.hardship = HardshipStatus.NONE
    elif application.hardship in (HardshipStatus.NONE, None):  # a decision already made stands
        application.hardship = HardshipStatus.REQUESTED
    if not form.choices_locked:
        application.priority_groups = list(form.priority_groups.data or [])
    privacy.keep_family_situation(application, bool(form.situation_consent.data))
    if form.choices_locked:
        return
    wanted = form.ranked_activity_ids()
    if application.choices:  # the old ranks leave before the new ones arrive (a new application has none)
        application.choices.clear()
        db.session.flush()
    for rank, activity_id in enumerate(wanted, start=1):
        application.choices.append(ActivityChoice(activity_id=activity_id, rank=rank))


def submit_application(guardian: User, student: Student, offering: Offering, agreement, form) -> Application:
    """The guardian applies and signs the current agreement (version, time and account recorded)."""
    application = Application(school_id=offering.school_id, offering=offering, student=student, guardian=guardian,
                              notice_version=offering.published_version, agreement=agreement, signed_at=utcnow(),
                              signed_by=guardian, status=ApplicationStatus.SUBMITTED)
    set_committed_value(application, "choices", [])  # new: it has none to read back before its own
    db.session.add(application)
    _copy_choices(application, form)
    db.session.flush()
    audit(offering.school_id, guardian, "apply", application)
    if allocation.needs_arrival_placement(offering):
        allocation.place_on_arrival(application)
    notify_family_and_class_teacher(application, N_("Application for %(child)s received"),
                                    N_("New application to review: %(child)s, %(offering)s"))
    return application


def change_application(application: Application, guardian: User, agreement, form) -> bool:
    """The guardian changes the application, or fixes a returned one and sends it again (True then); either way it
    goes back to the class teacher's review. A return's reason is kept until the teacher reviews the fix."""
    resubmitted = application.status is ApplicationStatus.RETURNED
    _copy_choices(application, form)
    application.status = ApplicationStatus.SUBMITTED
    if not resubmitted:
        application.return_reason = ""
    application.agreement = agreement
    application.signed_at = utcnow()
    application.signed_by = guardian
    application.notice_version = application.offering.published_version
    db.session.flush()
    if resubmitted:
        audit(application.school_id, guardian, "resubmit", application, application.return_reason)
        notify_family_and_class_teacher(application, N_("Application for %(child)s sent again"),
                                        N_("Returned application sent again, to review: %(child)s, %(offering)s"))
    else:
        audit(application.school_id, guardian, "change", application)
        notify_family_and_class_teacher(application, N_("Application for %(child)s changed"),
                                        N_("Changed application to review again: %(child)s, %(offering)s"))
    return resubmitted


# --- The school decides ---


def confirm_application(application: Application, teacher: User) -> None:
    """班级审核: the class teacher confirms the application."""
    application.status = ApplicationStatus.CONFIRMED
    application.return_reason = ""  # a return fixed and now reviewed: the history keeps it
    db.session.flush()
    audit(application.school_id, teacher, "confirm", application)
    notify_guardian(application, N_("Application for %(child)s confirmed by the class teacher"))


def return_application(application: Application, teacher: User, reason: str) -> None:
    """The class teacher returns the application to the guardian with a reason."""
    application.status = ApplicationStatus.RETURNED
    application.return_reason = reason
    db.session.flush()
    audit(application.school_id, teacher, "return", application, reason)
    notify_guardian(application, N_("Application for %(child)s returned: %(reason)s"), reason=reason)


def approve_offering(offering: Offering, principal: User) -> int:
    """校长审定: approve every confirmed application of the offering (places come from the draw or first come)."""
    confirmed = db.session.scalars(db.select(Application).filter_by(
        offering_id=offering.id, status=ApplicationStatus.CONFIRMED).order_by(Application.id)).all()
    for application in confirmed:
        application.status = ApplicationStatus.APPROVED
        audit(offering.school_id, principal, "approve", application)
        notify_guardian(application, N_("Application for %(child)s approved"))
    db.session.flush()
    return len(confirmed)


# --- Withdrawal and money ---


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def signed_notice(application: Application) -> dict:
    """The public notice as it stood in the version the family signed (its fees, dates, activities); the offering
    as it is now when that version is not kept."""
    version = db.session.scalar(db.select(NoticeVersion).filter_by(offering_id=application.offering_id,
                                                                   version=application.notice_version))
    return version.content if version is not None else notice_content(application.offering)


def monthly_fee_cents(application: Application) -> int:
    """What a month costs by the notice the family signed: the basic fee (a term fee spread over its months) plus
    the placed activity's fee. A fee raised after they signed does not reach them."""
    notice = signed_notice(application)
    basic = notice["basic_fee_cents"]
    if notice["fee_period"] == FeePeriod.TERM.value:
        ends_on, starts_on = date.fromisoformat(notice["ends_on"]), date.fromisoformat(notice["starts_on"])
        basic = round(basic / (month_index(ends_on) - month_index(starts_on) + 1))
    placed = application.placed_choice
    if placed is None:
        return basic
    signed = {activity["id"]: activity["fee_cents"] for activity in notice.get("activities", [])}
    return basic + signed.get(placed.activity_id, placed.activity.fee_cents)


def _charged_months(application: Application) -> list[tuple[int, int]]:
    """(month index, cents) for every month charged."""
    months = []
    for entry in application.ledger:
        if entry.kind is LedgerKind.CHARGE and entry.months:
            year, month = (int(p) for p in entry.period_start.split("-"))
            first = year * 12 + month - 1
            share = entry.amount_cents // entry.months
            months += [(first + k, share) for k in range(entry.months)]
    return months


def month_start(index: int) -> date:
    """The first day of a month given by month_index."""
    return date(index // 12, index % 12 + 1, 1)


def fee_span_months(application: Application, today: date, first_month: date | None = None, months: int = 0) -> int:
    """How many months the fees charged for the application cover together, with a charge of `months` from
    `first_month` added: from the current month (it counts) to the last month charged. Months already over are
    used up and not counted; a month not yet over counts whichever charge holds it (000 §(二)13: single or split)."""
    charged = [month for month, _ in _charged_months(application)]
    if first_month is not None:
        charged += range(month_index(first_month), month_index(first_month) + months)
    now = month_index(today)
    return max((month - now + 1 for month in charged if month >= now), default=0)


def last_month_chargeable(today: date) -> date:
    """The last month a fee charged today may cover (FEE_SPAN_MONTHS counting the current one)."""
    return month_start(month_index(today) + FEE_SPAN_MONTHS - 1)


def first_month_charged_twice(application: Application, first_month: date, months: int) -> date | None:
    """The first of these months already charged to the application, if any (a month is charged once)."""
    taken = {month for month, _ in _charged_months(application)}
    return next((month_start(m) for m in range(month_index(first_month), month_index(first_month) + months)
                 if m in taken), None)


def owed_cents(application: Application) -> int:
    """What the family owes now: the most a payment may be (never more than what is charged)."""
    return max(0, balance_cents(application))


def balance_cents(application: Application) -> int:
    """What the family still owes (negative: the school owes the family)."""
    total = 0
    for entry in application.ledger:
        sign = 1 if entry.kind is LedgerKind.CHARGE else -1
        if entry.kind is LedgerKind.REFUND:
            sign = 1
        total += sign * entry.amount_cents
    return total


def refund_due_cents(application: Application, on: date) -> int:
    """By the published rule: months not yet begun are refunded in full, the current month is due."""
    paid = sum(e.amount_cents for e in application.ledger if e.kind is LedgerKind.PAYMENT)
    refunded = sum(e.amount_cents for e in application.ledger if e.kind is LedgerKind.REFUND)
    unused = sum(cents for month, cents in _charged_months(application) if month > month_index(on))
    return max(0, min(unused, paid - refunded))


def withdraw(application: Application, guardian: User, on: date, now: datetime | None = None) -> int:
    """Participation is voluntary: end it now, give the seat back (promoting the waiting list), record the refund."""
    refund = refund_due_cents(application, on)
    application.status = ApplicationStatus.WITHDRAWN
    application.withdrawn_at = now or utcnow()
    application.sibling_group = None
    if refund:
        db.session.add(LedgerEntry(school_id=application.school_id, application=application, kind=LedgerKind.REFUND,
                                   amount_cents=refund, note=gettext("Refund on withdrawal"),
                                   created_by_id=guardian.id))
    db.session.flush()
    audit(application.school_id, guardian, "withdraw", application)
    notify_guardian(application, N_("Application for %(child)s withdrawn"))
    allocation.release_application(application, "withdrawn", guardian, now)
    return refund


def charge(application: Application, first_month: date, months: int, actor: User) -> LedgerEntry:
    """Charge whole months from a month on (the form keeps them within FEE_SPAN_MONTHS); waived when approved."""
    amount = 0 if application.hardship is HardshipStatus.APPROVED else monthly_fee_cents(application) * months
    entry = LedgerEntry(school_id=application.school_id, application=application, kind=LedgerKind.CHARGE,
                        amount_cents=amount, months=months, period_start=first_month.strftime("%Y-%m"),
                        note=gettext("Fee waived (hardship)") if amount == 0 and months else "",
                        created_by_id=actor.id)
    db.session.add(entry)
    db.session.flush()
    audit(application.school_id, actor, "charge", application, f"{months} x {first_month:%Y-%m}")
    return entry


def record_payment(application: Application, amount_cents: int, reference: str, actor: User) -> LedgerEntry:
    """The school marks a payment received (a payment gateway would call this with its own reference); the form
    keeps it within what is owed."""
    entry = LedgerEntry(school_id=application.school_id, application=application, kind=LedgerKind.PAYMENT,
                        amount_cents=amount_cents, reference=reference, created_by_id=actor.id)
    db.session.add(entry)
    db.session.flush()
    audit(application.school_id, actor, "payment", application, reference)
    return entry


def decide_hardship(application: Application, approve: bool, actor: User, reason: str = "") -> None:
    """The school approves or refuses the guardian's hardship waiver request."""
    application.hardship = HardshipStatus.APPROVED if approve else HardshipStatus.REFUSED
    db.session.flush()
    audit(application.school_id, actor, "hardship_" + ("approve" if approve else "refuse"), application, reason)
    notify_guardian(application, N_("Hardship waiver for %(child)s: %(decision)s"),
                     decision=gettext("approved") if approve else gettext("refused"))
