"""Why my child got this: each choice's outcome in plain words, from the draw's record and the queue as it is now."""

from datetime import datetime

from flask_babel import gettext as _

from app.accounts.models import Role
from app.enrolment import need_to_know
from app.enrolment.models import ActivityChoice, Application, ApplicationStatus, ChoiceStatus
from app.extensions import db
from app.models_base import local_time
from app.programs.window import window_closes


def may_see_draw(user, application: Application | None) -> bool:
    """Lottery numbers and tickets tie a child to the draw's public record, which shows priority groups (hardship
    among them): only the applying guardian and those who may see hardship see them."""
    if application is None:
        return need_to_know.handles_fees(user)
    return need_to_know.may_see_hardship(user, application)


def _when(moment: datetime | None) -> str:
    return local_time(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def queue_position(choice: ActivityChoice) -> int | None:
    """The child's place on the activity's waiting list now (1 = next to be offered), or None when not waiting."""
    if choice.status is not ChoiceStatus.WAITING:
        return None
    ahead = db.session.scalar(
        db.select(db.func.count(ActivityChoice.id)).join(Application).filter(
            ActivityChoice.activity_id == choice.activity_id, ActivityChoice.status == ChoiceStatus.WAITING,
            Application.status != ApplicationStatus.WITHDRAWN,
            (ActivityChoice.wait_position < choice.wait_position)
            | ((ActivityChoice.wait_position == choice.wait_position) & (ActivityChoice.id < choice.id)),
        )
    )
    return (ahead or 0) + 1


def _draw_facts(choice: ActivityChoice) -> dict | None:
    """Places, applicants and the child's lottery number in the draw that decided this choice."""
    record = choice.lottery
    if record is None or record.result.get("numbers") is None:
        return None
    ticket = choice.application.ticket
    facts = record.result["activities"].get(str(choice.activity_id), {})
    return {"places": facts.get("places", 0), "first": facts.get("first_choice", 0),
            "number": record.result["numbers"].get(ticket, 0), "drawn": _when(record.run_at)}


def explain_choice(choice: ActivityChoice, viewer=None) -> str:
    """The outcome of one ranked choice, said to the family ("your lottery number", "you accepted") or, for the
    school's staff reading it, about the family ("the child's lottery number", "the family accepted")."""
    family = viewer is None or viewer.role is Role.GUARDIAN
    name = choice.seat_activity.name
    facts = _draw_facts(choice)
    drawn = ""
    if facts and family:
        drawn = _("%(places)d places, %(first)d first-choice applicants, your lottery number %(number)d "
                  "(drawn at %(drawn)s, seed published)", **facts)
    elif facts:
        drawn = _("%(places)d places, %(first)d first-choice applicants, the child's lottery number %(number)d "
                  "(drawn at %(drawn)s, seed published)", **facts)
    outcome = choice.outcome
    status = choice.status
    if status is ChoiceStatus.PENDING:
        return _("Waiting for the draw when applications close (%(time)s).",
                 time=_when(window_closes(choice.application.offering)))
    if status is ChoiceStatus.PLACED:
        if outcome == "priority":
            return _("Placed in %(activity)s: priority group.", activity=name)
        if outcome == "sibling":
            return _("Placed in %(activity)s together with the linked siblings: %(draw)s.", activity=name, draw=drawn)
        if outcome == "lottery":
            return _("Placed in %(activity)s by the draw: %(draw)s.", activity=name, draw=drawn)
        if outcome == "offer_accepted":
            if family:
                return _("Placed in %(activity)s from the waiting list: you accepted the offered place.",
                         activity=name)
            return _("Placed in %(activity)s from the waiting list: the family accepted the offered place.",
                     activity=name)
        if family:
            return _("Placed in %(activity)s: a place was free when you applied (first come).", activity=name)
        return _("Placed in %(activity)s: a place was free when the family applied (first come).", activity=name)
    if status is ChoiceStatus.OFFERED:
        if family:
            return _("A place in %(activity)s is offered to you: accept it by %(time)s, or it passes to the next "
                     "child on the waiting list.", activity=name, time=_when(choice.offer_expires_at))
        return _("A place in %(activity)s is offered to the family until %(time)s; unanswered, it passes to the next "
                 "child on the waiting list.", activity=name, time=_when(choice.offer_expires_at))
    if status is ChoiceStatus.WAITING:
        position = queue_position(choice)
        if outcome == "late" or facts is None:
            if family:
                return _("Not placed in %(activity)s yet: no place was free when you applied. Waiting-list position "
                         "now: %(position)d.", activity=name, position=position)
            return _("Not placed in %(activity)s yet: no place was free when the family applied. Waiting-list "
                     "position now: %(position)d.", activity=name, position=position)
        if outcome == "no_room_together":
            return _("Not placed in %(activity)s: it had room for some of the linked siblings but not all (%(draw)s). "
                     "Waiting-list position now: %(position)d.", activity=name, draw=drawn, position=position)
        if outcome == "siblings_first":
            return _("Not placed in %(activity)s: the linked siblings were placed together in a shared choice first "
                     "(%(draw)s). Waiting-list position now: %(position)d.", activity=name, draw=drawn,
                     position=position)
        return _("Not placed in %(activity)s: %(draw)s. Waiting-list position now: %(position)d.", activity=name,
                 draw=drawn, position=position)
    if outcome == "offer_declined":
        if family:
            return _("You declined the place offered in %(activity)s.", activity=name)
        return _("The family declined the place offered in %(activity)s.", activity=name)
    if outcome == "removed":
        if family:
            return _("The school removed the place in %(activity)s (see the message in your inbox).", activity=name)
        return _("The school removed the place in %(activity)s.", activity=name)
    return {
        "higher_choice": _("Not needed: %(child)s has a place in a choice ranked higher.",
                           child=choice.application.student.name),
        "offer_expired": _("The place offered in %(activity)s was not accepted in time and passed on.",
                           activity=name),
    }.get(outcome, _("Application withdrawn."))
