"""Enrolment work: applying, reviewing, approving, allocating seats, waiting lists, withdrawing, fees,
notifications and the audit trail. Services flush; the request commits once."""

import logging
import secrets
from datetime import date

from flask import current_app, url_for
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from app.accounts.models import GuardianLink, User
from app.enrolment import lottery
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
    Notification,
    Seat,
)
from app.extensions import db
from app.models_base import utcnow
from app.programs.models import Activity, FeePeriod, Offering
from app.schools.models import Student

logger = logging.getLogger(__name__)

def N_(msgid: str) -> str:
    """Mark a message for extraction; it is translated later, in the reader's language."""
    return msgid


STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: _l("waiting for the class teacher's review"),
    ApplicationStatus.RETURNED: _l("returned to the guardian"),
    ApplicationStatus.CONFIRMED: _l("confirmed by the class teacher, waiting for the principal"),
    ApplicationStatus.APPROVED: _l("approved"),
    ApplicationStatus.WITHDRAWN: _l("withdrawn"),
}
CHOICE_LABELS = {
    ChoiceStatus.PENDING: _l("not yet allocated"),
    ChoiceStatus.PLACED: _l("place given"),
    ChoiceStatus.WAITING: _l("on the waiting list"),
    ChoiceStatus.DROPPED: _l("not taken up"),
}
EDITABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.CONFIRMED)


# --- Notifications and audit ---


def notify(user: User, subject: str, body: str = "", link: str = "") -> Notification:
    """Put a message in the outbox: the person's inbox now, e-mail when a mail server is configured."""
    note = Notification(user_id=user.id, subject=subject, body=body, link=link)
    db.session.add(note)
    db.session.flush()
    return note


def deliver_outbox(send=None) -> int:
    """Send the outbox's unsent messages by e-mail with `send(note)` when MAIL_SERVER is configured."""
    if send is None or not current_app.config.get("MAIL_SERVER"):
        return 0
    notes = db.session.scalars(db.select(Notification).filter(Notification.emailed_at.is_(None))).all()
    for note in notes:
        send(note)
        note.emailed_at = utcnow()
    db.session.flush()
    return len(notes)


def audit(school_id: int, actor: User | None, action: str, obj, reason: str = "") -> AuditEvent:
    """Record who decided what, when and why."""
    event = AuditEvent(school_id=school_id, actor_id=actor.id if actor else None, action=action,
                       object_type=type(obj).__name__.lower(), object_id=obj.id, reason=reason)
    db.session.add(event)
    db.session.flush()
    return event


def _notify_guardian(application: Application, subject_msgid: str, **values) -> None:
    """Tell the guardian, in their language, about a change to the application."""
    guardian = application.guardian
    locale = guardian.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        subject = gettext(subject_msgid, child=application.student.name, **values)
        status = str(STATUS_LABELS[application.status])
    link = f"/enrolment/applications/{application.id}"  # also built outside requests (CLI, demo)
    notify(guardian, subject, status, link)


# --- Guardians ---


def verified_link(guardian: User, student: Student) -> GuardianLink | None:
    """The guardian's link to the child, whatever its state (None when there is none)."""
    return next((link for link in guardian.guardian_links if link.student_id == student.id), None)


def open_offerings(student: Student, today: date) -> list[Offering]:
    """The child's school's published offerings still taking applications."""
    offerings = db.session.scalars(db.select(Offering).filter(
        Offering.school_id == student.school_id, Offering.published_version > 0, Offering.apply_deadline >= today,
    ).order_by(Offering.starts_on)).all()
    return list(offerings)


def application_for(student: Student, offering: Offering) -> Application | None:
    return db.session.scalar(db.select(Application).filter_by(student_id=student.id, offering_id=offering.id))


def _copy_choices(application: Application, form) -> None:
    application.weekdays = sorted(form.weekdays.data)
    application.evening_study = bool(form.evening_study.data)
    application.pickup = form.pickup_value()
    application.pickup_people = form.pickup_people.data or ""
    application.walk_alone_consent = bool(form.walk_alone_consent.data)
    application.health_notes = form.health_notes.data or ""
    application.priority_groups = list(form.priority_groups.data or [])
    application.hardship = HardshipStatus.REQUESTED if form.hardship.data else HardshipStatus.NONE
    wanted = form.ranked_activity_ids()
    application.choices.clear()
    db.session.flush()
    for rank, activity_id in enumerate(wanted, start=1):
        application.choices.append(ActivityChoice(activity_id=activity_id, rank=rank))


def submit_application(guardian: User, student: Student, offering: Offering, agreement, form) -> Application:
    """The guardian applies and signs the current agreement (version, time and account recorded)."""
    application = Application(school_id=offering.school_id, offering=offering, student=student, guardian=guardian,
                              notice_version=offering.published_version, agreement=agreement, signed_at=utcnow(),
                              signed_by=guardian, status=ApplicationStatus.SUBMITTED)
    db.session.add(application)
    _copy_choices(application, form)
    db.session.flush()
    audit(offering.school_id, guardian, "apply", application)
    _notify_guardian(application, N_("Application for %(child)s received"))
    teacher = student.school_class.class_teacher
    if teacher is not None:
        notify(teacher, gettext("New application to review: %(child)s", child=student.name), "",
               url_for("enrolment.review"))
    return application


def change_application(application: Application, guardian: User, agreement, form) -> None:
    """The guardian changes the choices before the deadline; the class teacher reviews them again."""
    _copy_choices(application, form)
    application.status = ApplicationStatus.SUBMITTED
    application.return_reason = ""
    application.agreement = agreement
    application.signed_at = utcnow()
    application.signed_by = guardian
    application.notice_version = application.offering.published_version
    db.session.flush()
    audit(application.school_id, guardian, "change", application)
    _notify_guardian(application, N_("Application for %(child)s changed"))


# --- The school decides ---


def confirm_application(application: Application, teacher: User) -> None:
    """班级审核: the class teacher confirms the application."""
    application.status = ApplicationStatus.CONFIRMED
    db.session.flush()
    audit(application.school_id, teacher, "confirm", application)
    _notify_guardian(application, N_("Application for %(child)s confirmed by the class teacher"))


def return_application(application: Application, teacher: User, reason: str) -> None:
    """The class teacher returns the application to the guardian with a reason."""
    application.status = ApplicationStatus.RETURNED
    application.return_reason = reason
    db.session.flush()
    audit(application.school_id, teacher, "return", application, reason)
    _notify_guardian(application, N_("Application for %(child)s returned: %(reason)s"), reason=reason)


def approve_offering(offering: Offering, principal: User, seed: str | None = None) -> tuple[int, Lottery | None]:
    """校长审定: approve every confirmed application of the offering, then allocate their activity choices."""
    confirmed = db.session.scalars(db.select(Application).filter_by(
        offering_id=offering.id, status=ApplicationStatus.CONFIRMED).order_by(Application.id)).all()
    for application in confirmed:
        application.status = ApplicationStatus.APPROVED
        audit(offering.school_id, principal, "approve", application)
        _notify_guardian(application, N_("Application for %(child)s approved"))
    db.session.flush()
    return len(confirmed), allocate_offering(offering, principal, seed)


def allocate_offering(offering: Offering, actor: User | None, seed: str | None = None) -> Lottery | None:
    """Allocate the pending choices of approved applications by the recorded lottery; None when nothing waits."""
    pending = db.session.scalars(
        db.select(Application).filter(
            Application.offering_id == offering.id, Application.status == ApplicationStatus.APPROVED,
            Application.id.in_(db.select(ActivityChoice.application_id)
                               .filter(ActivityChoice.status == ChoiceStatus.PENDING)),
        ).order_by(Application.id)
    ).all()
    if not pending:
        return None
    applicants = [lottery.Applicant(a.id, tuple(c.activity_id for c in a.choices if c.status is ChoiceStatus.PENDING),
                                    tuple(a.priority_groups)) for a in pending]
    activity_ids = {c for a in applicants for c in a.choices}
    free = {a.id: a.free_seats for a in offering.activities if a.id in activity_ids}
    inputs = lottery.make_inputs(applicants, free, list(offering.priority_groups))
    seed = seed or secrets.token_hex(8)
    result = lottery.allocate(inputs, seed)
    record = Lottery(school_id=offering.school_id, offering=offering, seed=seed, inputs=inputs, result=result,
                     run_by_id=actor.id if actor else None)
    db.session.add(record)
    db.session.flush()
    by_id = {a.id: a for a in pending}
    positions = {app_id: index for index, app_id in enumerate(result["order"], start=1)}
    for app_id_text, activity_id in result["placed"].items():
        application = by_id[int(app_id_text)]
        if take_seat(activity_id, application.student_id, application.id):
            for choice in application.choices:
                choice.status = ChoiceStatus.PLACED if choice.activity_id == activity_id else ChoiceStatus.DROPPED
    for application in pending:
        if str(application.id) in result["placed"]:
            continue
        for choice in application.choices:
            if choice.status is ChoiceStatus.PENDING:
                choice.status = ChoiceStatus.WAITING
                choice.wait_position = positions[application.id]
    db.session.flush()
    audit(offering.school_id, actor, "lottery", record, f"seed {seed}")
    for application in pending:
        placed = application.placed_choice
        if placed is not None:
            _notify_guardian(application, N_("%(child)s has a place in %(activity)s"), activity=placed.activity.name)
        else:
            _notify_guardian(application, N_("%(child)s is on the waiting list"))
    return record


def rerun_lottery(record: Lottery) -> bool:
    """Run a recorded lottery again from its seed and inputs; True when it gives the recorded result."""
    return lottery.allocate(record.inputs, record.seed) == record.result


# --- Seats: no place sold twice ---


def take_seat(activity_id: int, student_id: int, application_id: int | None = None) -> bool:
    """Take a seat if one is free, by a guarded update checked by its row count; False when full or held."""
    claimed = db.session.execute(
        update(Activity).where(Activity.id == activity_id, Activity.taken < Activity.capacity)
        .values(taken=Activity.taken + 1).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    held = db.session.scalar(db.select(Seat.id).filter_by(activity_id=activity_id, student_id=student_id))
    if held is not None:
        _give_back(activity_id)
        return False
    # The unique (activity, student) constraint backs this check up under concurrency.
    db.session.add(Seat(activity_id=activity_id, student_id=student_id, application_id=application_id))
    db.session.flush()
    _expire_activity(activity_id)
    return True


def _give_back(activity_id: int) -> None:
    db.session.execute(
        update(Activity).where(Activity.id == activity_id, Activity.taken > 0)
        .values(taken=Activity.taken - 1).execution_options(synchronize_session=False)
    )
    _expire_activity(activity_id)


def _expire_activity(activity_id: int) -> None:
    activity = db.session.get(Activity, activity_id)
    if activity is not None:
        db.session.refresh(activity, ["taken"])


def release_seat(activity_id: int, student_id: int) -> bool:
    """Give a child's seat back; True when there was one."""
    deleted = db.session.execute(
        db.delete(Seat).where(Seat.activity_id == activity_id, Seat.student_id == student_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if deleted:
        _give_back(activity_id)
    return bool(deleted)


def promote_waiting(activity: Activity, actor: User | None = None) -> list[Application]:
    """Fill free seats from the waiting list, in lottery order, telling each guardian."""
    promoted = []
    waiting = db.session.scalars(
        db.select(ActivityChoice).join(Application).filter(
            ActivityChoice.activity_id == activity.id, ActivityChoice.status == ChoiceStatus.WAITING,
            Application.status == ApplicationStatus.APPROVED,
        ).order_by(ActivityChoice.wait_position, ActivityChoice.id)
    ).all()
    for choice in waiting:
        if activity.free_seats <= 0:
            break
        application = choice.application
        if not take_seat(activity.id, application.student_id, application.id):
            continue
        for other in application.choices:
            other.status = ChoiceStatus.PLACED if other is choice else ChoiceStatus.DROPPED
        db.session.flush()
        audit(application.school_id, actor, "promote", application, activity.name)
        _notify_guardian(application, N_("A place freed up: %(child)s now has a place in %(activity)s"),
                         activity=activity.name)
        promoted.append(application)
    return promoted


# --- Withdrawal and money ---


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def monthly_fee_cents(application: Application) -> int:
    """What a month costs: the basic fee (a term fee spread over its months) plus the placed activity's fee."""
    offering = application.offering
    basic = offering.basic_fee_cents
    if offering.fee_period is FeePeriod.TERM:
        months = month_index(offering.ends_on) - month_index(offering.starts_on) + 1
        basic = round(basic / months)
    placed = application.placed_choice
    return basic + (placed.activity.fee_cents if placed else 0)


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


def months_charged_ahead(application: Application, today: date) -> int:
    """How many months after the current one are already charged."""
    return sum(1 for month, _ in _charged_months(application) if month > month_index(today))


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


def withdraw(application: Application, guardian: User, on: date) -> int:
    """Participation is voluntary: end it now, give the seat back (promoting the waiting list), record the refund."""
    refund = refund_due_cents(application, on)
    freed = []
    for choice in application.choices:
        if choice.status is ChoiceStatus.PLACED and release_seat(choice.activity_id, application.student_id):
            freed.append(choice.activity)
        choice.status = ChoiceStatus.DROPPED
    application.status = ApplicationStatus.WITHDRAWN
    application.withdrawn_at = utcnow()
    if refund:
        db.session.add(LedgerEntry(school_id=application.school_id, application=application, kind=LedgerKind.REFUND,
                                   amount_cents=refund, note=gettext("Refund on withdrawal"),
                                   created_by_id=guardian.id))
    db.session.flush()
    audit(application.school_id, guardian, "withdraw", application)
    _notify_guardian(application, N_("Application for %(child)s withdrawn"))
    for activity in freed:
        promote_waiting(activity, guardian)
    return refund


def charge(application: Application, first_month: date, months: int, actor: User) -> LedgerEntry:
    """Charge whole months from a month on (the form keeps it within the advance limit); waived when approved."""
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
    """The school marks a payment received (a payment gateway would call this with its own reference)."""
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
    _notify_guardian(application, N_("Hardship waiver for %(child)s: %(decision)s"),
                     decision=gettext("approved") if approve else gettext("refused"))
