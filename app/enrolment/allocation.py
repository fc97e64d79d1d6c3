"""Who gets a place: the draw when the window closes, first-come places, seats, and waiting lists that move.

The window itself (when it opens and closes, the "apply by" moment, places left) is app.programs.window.

- DRAW offerings: every application made in the window is equal; one recorded draw runs when the window closes
  (`draw_offering`, guarded so it runs once however many requests or workers notice the close).
- FIRST_COME offerings, and DRAW offerings with `first_come_after_draw` once drawn: an application takes a free
  place on arrival; without one it joins the end of the waiting list.
- Every freed place — a withdrawal, a removal by the school, a raised capacity, a new group, a declined, expired or
  superseded offer — goes through `offer_freed_places`, which offers it to the first child in strict queue order
  for `offering.offer_hours`; the guardian accepts or declines, and an unanswered offer passes on when it expires.
Services flush; the request (or the command) commits once.
"""

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update

from app.accounts.models import User
from app.enrolment import lottery
from app.enrolment.models import (
    ActivityChoice,
    Application,
    ApplicationStatus,
    ChoiceStatus,
    HardshipStatus,
    Lottery,
    Seat,
)
from app.enrolment.records import N_, audit, notify_guardian
from app.extensions import db
from app.models_base import local_time, utcnow
from app.programs.models import Activity, AllocationMode, Offering, PriorityGroup
from app.programs.window import places_left, window_closes

logger = logging.getLogger(__name__)

HOLDING = (ChoiceStatus.PLACED, ChoiceStatus.OFFERED)  # statuses that hold a seat


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
    """Give a child's seat back; True when there was one (the caller offers it on with `offer_freed_places`)."""
    deleted = db.session.execute(
        db.delete(Seat).where(Seat.activity_id == activity_id, Seat.student_id == student_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if deleted:
        _give_back(activity_id)
    return bool(deleted)


def _groups(queue_id: int) -> list[Activity]:
    """An activity and its other groups, first group first."""
    return list(db.session.scalars(db.select(Activity).filter(
        (Activity.id == queue_id) | (Activity.section_of_id == queue_id)).order_by(Activity.id)))


def _seat_in(choice: ActivityChoice, group: Activity) -> bool:
    """A seat for the choice's child in this group of the chosen activity; the choice records the group."""
    application = choice.application
    if not take_seat(group.id, application.student_id, application.id):
        return False
    choice.section_id = None if group.id == choice.activity_id else group.id
    return True


def _take_seat_in_queue(choice: ActivityChoice) -> bool:
    """A seat in any group of the chosen activity."""
    return any(_seat_in(choice, group) for group in _groups(choice.activity_id))


def _set_outcome(choice: ActivityChoice, status: ChoiceStatus, outcome: str) -> None:
    choice.status = status
    choice.outcome = outcome
    if status is not ChoiceStatus.OFFERED:
        choice.offer_expires_at = None


def _let_go(choice: ActivityChoice, outcome: str) -> Activity | None:
    """Drop a choice; when it held a seat, give the seat back and return its group (to be offered on)."""
    group = choice.seat_activity if choice.status in HOLDING else None
    if group is not None and not release_seat(group.id, choice.application.student_id):
        group = None
    _set_outcome(choice, ChoiceStatus.DROPPED, outcome)
    return group


def _settle_placed(placed: ActivityChoice) -> list[Activity]:
    """The child now has `placed`: lower-ranked choices are no longer needed (seats they held are freed)."""
    freed = []
    for other in placed.application.choices:
        if other.rank > placed.rank and other.status is not ChoiceStatus.DROPPED:
            group = _let_go(other, "higher_choice")
            if group is not None:
                freed.append(group)
    return freed


# --- The draw at the close ---


def priority_claims(application: Application) -> tuple[str, ...]:
    """The priority groups the draw counts, each once the school has checked it before the draw: hardship when the
    principal or finance approved the family's hardship request (class teachers may not know of it); the others when
    the class teacher confirmed the application (班级审核)."""
    confirmed = application.status in (ApplicationStatus.CONFIRMED, ApplicationStatus.APPROVED)
    hardship_approved = application.hardship is HardshipStatus.APPROVED
    return tuple(g for g in application.priority_groups
                 if (hardship_approved if g == PriorityGroup.HARDSHIP.value else confirmed))


def draw_offering(offering: Offering, actor: User | None = None, seed: str | None = None,
                  now: datetime | None = None) -> Lottery | None:
    """The draw: once per offering (a guarded update), over every application made in the window and not withdrawn."""
    now = now or utcnow()
    claimed = db.session.execute(
        update(Offering).where(Offering.id == offering.id, Offering.drawn_at.is_(None))
        .values(drawn_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    db.session.refresh(offering, ["drawn_at"])
    pending = db.session.scalars(
        db.select(Application).filter(
            Application.offering_id == offering.id, Application.status != ApplicationStatus.WITHDRAWN,
            Application.id.in_(db.select(ActivityChoice.application_id)
                               .filter(ActivityChoice.status == ChoiceStatus.PENDING)),
        ).order_by(Application.id)
    ).all()
    if not pending:
        return None
    linked = offering.siblings_together
    applicants = [lottery.Applicant(a.ticket, tuple(c.activity_id for c in a.choices), priority_claims(a),
                                    a.sibling_group if linked else None) for a in pending]
    inputs = lottery.make_inputs(applicants, places_left(offering), list(offering.priority_groups), linked)
    seed = seed or secrets.token_hex(8)
    result = lottery.allocate(inputs, seed)
    record = Lottery(school_id=offering.school_id, offering=offering, seed=seed, inputs=inputs, result=result,
                     run_at=now, run_by_id=actor.id if actor else None)
    db.session.add(record)
    db.session.flush()
    for application in pending:
        ticket = application.ticket
        placed_activity = result["placed"].get(ticket)
        reasons = result["reasons"][ticket]
        for choice in application.choices:
            choice.lottery_id = record.id
            outcome = reasons.get(str(choice.activity_id), "full")
            if choice.activity_id == placed_activity and _take_seat_in_queue(choice):
                _set_outcome(choice, ChoiceStatus.PLACED, outcome)
            elif outcome == "higher_choice":
                _set_outcome(choice, ChoiceStatus.DROPPED, outcome)
            else:
                _set_outcome(choice, ChoiceStatus.WAITING, outcome)
                choice.wait_position = result["numbers"][ticket]
    db.session.flush()
    audit(offering.school_id, actor, "lottery", record, seed)  # the audit page says "seed:" in the reader's language
    for application in pending:
        placed = application.placed_choice
        waits = ", ".join(c.activity.name for c in application.choices if c.status is ChoiceStatus.WAITING)
        if placed is not None and waits:
            notify_guardian(application, N_("%(child)s has a place in %(activity)s and waits for %(waits)s"),
                            activity=placed.activity.name, waits=waits)
        elif placed is not None:
            notify_guardian(application, N_("%(child)s has a place in %(activity)s"), activity=placed.activity.name)
        else:
            notify_guardian(application, N_("%(child)s is on the waiting list for %(waits)s"), waits=waits)
    logger.info("offering %s drawn: lottery %s, %d applications", offering.id, record.id, len(pending))
    return record


def rerun_lottery(record: Lottery) -> bool:
    """Run a recorded draw again from its seed and inputs; True when it gives the recorded result."""
    return lottery.allocate(record.inputs, record.seed) == record.result


# --- Arrivals outside the draw ---


def _next_wait_position(offering_id: int) -> int:
    last = db.session.scalar(db.select(db.func.max(ActivityChoice.wait_position)).join(Application)
                             .filter(Application.offering_id == offering_id))
    return (last or 0) + 1


def _someone_waits(queue_id: int) -> bool:
    return db.session.scalar(db.select(ActivityChoice.id).join(Application).filter(
        ActivityChoice.activity_id == queue_id, ActivityChoice.status == ChoiceStatus.WAITING,
        Application.status != ApplicationStatus.WITHDRAWN).limit(1)) is not None


def place_on_arrival(application: Application) -> None:
    """First come: the best-ranked choice with a free place nobody waits for; the rest wait at the end of the queue."""
    offering = application.offering
    outcome = "first_come" if offering.allocation is AllocationMode.FIRST_COME else "after_draw"
    position = None
    placed = None
    for choice in application.choices:
        if placed is None and not _someone_waits(choice.activity_id) and _take_seat_in_queue(choice):
            _set_outcome(choice, ChoiceStatus.PLACED, outcome)
            placed = choice
        elif placed is None:
            position = position or _next_wait_position(offering.id)
            _set_outcome(choice, ChoiceStatus.WAITING, "late")
            choice.wait_position = position
        else:
            _set_outcome(choice, ChoiceStatus.DROPPED, "higher_choice")
    db.session.flush()


def needs_arrival_placement(offering: Offering) -> bool:
    """New applications are placed as they arrive (first come, or after the draw)."""
    return offering.allocation is AllocationMode.FIRST_COME or offering.drawn_at is not None


# --- Waiting lists that always move ---


def offer_freed_places(group: Activity, actor: User | None = None, now: datetime | None = None) -> list[ActivityChoice]:
    """Offer each free seat of a group to the first child waiting for its activity, in strict queue order."""
    now = now or utcnow()
    offered = []
    db.session.flush()  # a raised capacity, a new group: written before the guarded seat updates read them
    db.session.refresh(group, ["taken"])
    while group.free_seats > 0:
        choice = db.session.scalar(
            db.select(ActivityChoice).join(Application).filter(
                ActivityChoice.activity_id == group.queue_id, ActivityChoice.status == ChoiceStatus.WAITING,
                Application.status != ApplicationStatus.WITHDRAWN,
            ).order_by(ActivityChoice.wait_position, ActivityChoice.id).limit(1)
        )
        if choice is None:
            break
        application = choice.application
        if not _seat_in(choice, group):
            # The child already sits in this group (cannot happen through the site): take them off this list.
            _set_outcome(choice, ChoiceStatus.DROPPED, "higher_choice")
            continue
        _set_outcome(choice, ChoiceStatus.OFFERED, "offered")
        choice.offer_expires_at = now + timedelta(hours=application.offering.offer_hours)
        db.session.flush()
        audit(application.school_id, actor, "offer", application, group.name)
        notify_guardian(application, N_("A place for %(child)s in %(activity)s: please accept by %(time)s"),
                        activity=group.name, time=local_time(choice.offer_expires_at).strftime("%Y-%m-%d %H:%M"))
        offered.append(choice)
    return offered


def _offer_on(groups: list[Activity], actor: User | None, now: datetime | None = None) -> None:
    for group in groups:
        offer_freed_places(group, actor, now)


def _end_offer(choice: ActivityChoice, to: ChoiceStatus, outcome: str, now: datetime | None = None) -> bool:
    """Move an open offer on, guarded so an acceptance and an expiry cannot both win."""
    conditions = [ActivityChoice.id == choice.id, ActivityChoice.status == ChoiceStatus.OFFERED]
    if outcome == "offer_expired":
        conditions.append(ActivityChoice.offer_expires_at <= now)
    moved = db.session.execute(
        update(ActivityChoice).where(*conditions).values(status=to, outcome=outcome, offer_expires_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(choice)
    return moved == 1


def accept_offer(choice: ActivityChoice, guardian: User) -> bool:
    """The guardian takes the offered place; lower-ranked places the child held are offered on."""
    if not _end_offer(choice, ChoiceStatus.PLACED, "offer_accepted"):
        return False
    application = choice.application
    freed = _settle_placed(choice)
    db.session.flush()
    audit(application.school_id, guardian, "accept_offer", application, choice.seat_activity.name)
    notify_guardian(application, N_("%(child)s has a place in %(activity)s"), activity=choice.seat_activity.name)
    _offer_on(freed, guardian)
    return True


def decline_offer(choice: ActivityChoice, guardian: User) -> bool:
    """The guardian turns the offered place down; it goes to the next child."""
    group = choice.seat_activity
    if not _end_offer(choice, ChoiceStatus.DROPPED, "offer_declined"):
        return False
    release_seat(group.id, choice.application.student_id)
    audit(choice.application.school_id, guardian, "decline_offer", choice.application, group.name)
    offer_freed_places(group, guardian)
    return True


def expire_offers(now: datetime | None = None, offering: Offering | None = None) -> int:
    """Pass on every offer whose time is up (one offering's, or all); returns how many expired."""
    now = now or utcnow()
    query = db.select(ActivityChoice).filter(ActivityChoice.status == ChoiceStatus.OFFERED,
                                             ActivityChoice.offer_expires_at <= now)
    if offering is not None:
        query = query.join(Application).filter(Application.offering_id == offering.id)
    expired = 0
    for choice in db.session.scalars(query.order_by(ActivityChoice.offer_expires_at, ActivityChoice.id)).all():
        group = choice.seat_activity
        if not _end_offer(choice, ChoiceStatus.DROPPED, "offer_expired", now):
            continue
        release_seat(group.id, choice.application.student_id)
        audit(choice.application.school_id, None, "offer_expired", choice.application, group.name)
        notify_guardian(choice.application, N_("The place offered to %(child)s in %(activity)s has expired"),
                        activity=group.name)
        offer_freed_places(group, None, now)
        expired += 1
    return expired


def release_application(application: Application, outcome: str, actor: User | None,
                        now: datetime | None = None) -> None:
    """Drop every choice of an application (withdrawn), offering each seat it held to the next child."""
    freed = [group for choice in application.choices if (group := _let_go(choice, outcome)) is not None]
    db.session.flush()
    _offer_on(freed, actor, now)


def remove_place(choice: ActivityChoice, actor: User, reason: str) -> None:
    """The school takes a child's place (or open offer) away, with a reason; the seat goes to the next child."""
    application = choice.application
    group = _let_go(choice, "removed")
    db.session.flush()
    audit(application.school_id, actor, "remove_place", application, reason)
    notify_guardian(application, N_("%(child)s's place in %(activity)s was removed by the school: %(reason)s"),
                    activity=choice.activity.name, reason=reason)
    if group is not None:
        offer_freed_places(group, actor)


# --- Running what is due ---


def may_have_due(offering: Offering, now: datetime) -> bool:
    """Whether run_due could find work for the offering: its draw is due, or it may hold offers (offers are made only
    after the draw or, first come, as places free up). False: a page may skip run_due and its queries."""
    if offering.allocation is AllocationMode.DRAW and offering.drawn_at is None:
        return offering.is_published and window_closes(offering) <= now
    return True


def run_due(now: datetime | None = None, offering: Offering | None = None) -> None:
    """Draw every window that has closed and pass on every expired offer (one offering's, or all)."""
    now = now or utcnow()
    query = db.select(Offering).filter(Offering.allocation == AllocationMode.DRAW, Offering.drawn_at.is_(None),
                                       Offering.published_version > 0)
    if offering is not None:
        query = query.filter(Offering.id == offering.id)
    for candidate in db.session.scalars(query).all():
        if window_closes(candidate) <= now:
            draw_offering(candidate, None, now=now)
    expire_offers(now, offering)
