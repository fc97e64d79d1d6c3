"""Offerings, activities, notice versions and agreement texts. Services flush; the request commits."""

import logging
from datetime import date, datetime, timedelta

from flask_babel import get_locale
from flask_babel import gettext as _

from app.extensions import db
from app.models_base import local_time
from app.programs.models import Activity, AgreementText, AllocationMode, NoticeVersion, Offering
from app.schools.models import Holiday, HolidayKind, School
from scheduling.policy import ACTIVITY_LABELS, KIND_LABELS, WEEKDAY_LABELS

logger = logging.getLogger(__name__)


def _allocation():
    """The allocation engine, imported when first used: enrolment's forms and routes import this package."""
    from app.enrolment import allocation

    return allocation


def _label(pair: tuple[str, str]) -> str:
    return pair[0] if str(get_locale()).startswith("zh") else pair[1]


def activity_label(code: str) -> str:
    """An activity code's name in the current language (from the policy module)."""
    return _label(ACTIVITY_LABELS[code]) if code in ACTIVITY_LABELS else code


def kind_label(code: str) -> str:
    """A session kind's name in the current language (from the policy module)."""
    return _label(KIND_LABELS[code]) if code in KIND_LABELS else code


def weekday_label(day: int) -> str:
    """Monday = 0, in the current language."""
    return _label(WEEKDAY_LABELS[day])


def public_holidays(school: School, starts_on: date, ends_on: date) -> set[date]:
    """The public-holiday dates of a school's calendar within a period."""
    days = set()
    for holiday in school.holidays:
        if holiday.kind is HolidayKind.PUBLIC:
            day = max(holiday.starts_on, starts_on)
            while day <= min(holiday.ends_on, ends_on):
                days.add(day)
                day += timedelta(days=1)
    return days


def service_days(offering: Offering) -> list[date]:
    """The dates an offering runs: its weekdays in its period, public holidays left out."""
    closed = public_holidays(offering.school, offering.starts_on, offering.ends_on)
    days, day = [], offering.starts_on
    while day <= offering.ends_on:
        if day.weekday() in offering.weekdays and day not in closed:
            days.append(day)
        day += timedelta(days=1)
    return days


def save_offering(offering: Offering, form) -> Offering:
    """Copy a validated OfferingForm into an offering (new or existing) and flush."""
    form.populate_offering(offering)
    if offering.is_published:
        offering.changed_since_publish = True
    db.session.add(offering)
    db.session.flush()
    return offering


def save_activity(activity: Activity, offering: Offering, form, actor=None) -> list:
    """Copy a validated ActivityForm into an activity of the offering and flush; the places a raised capacity adds
    are offered to the waiting list in queue order (the offers made are returned)."""
    raised = activity.id is not None and form.capacity.data > activity.capacity
    form.populate_activity(activity)
    activity.offering = offering
    activity.school_id = offering.school_id
    if offering.is_published:
        offering.changed_since_publish = True
    db.session.add(activity)
    db.session.flush()
    return _allocation().offer_freed_places(activity, actor) if raised else []


def groups_of(activity: Activity) -> list[Activity]:
    """The other groups opened for an activity (加开), oldest first."""
    return [a for a in activity.offering.activities if a.section_of_id == activity.id]


def group_name(original: Activity) -> str:
    """A name for the next group of an activity: "足球（二组）", "Football (group 2)"."""
    number = len(groups_of(original)) + 2
    if str(get_locale()).startswith("zh") and number <= 10:
        number = "零一二三四五六七八九十"[number]
    return _("%(name)s (group %(number)s)", name=original.name, number=number)


def add_group(original: Activity, form, actor) -> tuple[Activity, list]:
    """Open another group of an over-subscribed activity (加开): same offering, kind, grades and fee, its own places,
    days, time, room and leader; it shares the first group's waiting list, whose children are offered its places in
    queue order. Returns the group and the offers made."""
    offering = original.offering
    group = Activity(section_of_id=original.id, taken=0)
    form.populate_activity(group)
    group.activity, group.subject, group.description = original.activity, original.subject, original.description
    group.grades, group.fee_cents = list(original.grades), original.fee_cents
    group.offering, group.school_id = offering, offering.school_id
    if offering.is_published:
        offering.changed_since_publish = True
    db.session.add(group)
    db.session.flush()
    logger.info("activity %s: group %s opened with %s places", original.id, group.id, group.capacity)
    return group, _allocation().offer_freed_places(group, actor)


def delete_activity(activity: Activity) -> None:
    """Remove an activity nobody holds a seat in (and that has no other group)."""
    offering = activity.offering
    offering.activities.remove(activity)
    if offering.is_published:
        offering.changed_since_publish = True
    db.session.flush()


def apply_by_text(offering: Offering) -> str:
    """The last moment to apply, as the notice shows it (the allocation engine's rule)."""
    return _allocation().apply_by_text(offering)


def places_left(offering: Offering) -> dict[int, int]:
    """Free places now per activity a guardian can choose (its groups added up)."""
    return _allocation().places_left(offering)


def applications_end(apply_deadline: date) -> datetime:
    """The end of the last day to apply (the allocation engine's rule), for a deadline not saved yet."""
    return _allocation().day_end(apply_deadline)


def _stamp(moment: datetime | None) -> str | None:
    return local_time(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else None


def window_summary(offering: Offering) -> dict:
    """When applications open and close and how places are shared, as plain data (kept with each notice version).

    `opens` None: from publication; `closes` None: at the end of the last day to apply."""
    allocation = _allocation()
    draw = offering.allocation is AllocationMode.DRAW
    closes = allocation.window_closes(offering) if draw and offering.window_closes_at is not None else None
    return {
        "mode": offering.allocation.value,
        "opens": _stamp(allocation.window_opens(offering)),
        "closes": _stamp(closes),
        "first_come_after_draw": draw and offering.first_come_after_draw,
        "siblings_together": draw and offering.siblings_together,
        "offer_hours": offering.offer_hours,
    }


def notice_content(offering: Offering) -> dict:
    """What the public notice shows, as plain data kept with each published version."""
    agreement = current_agreement(offering.school)
    return {
        "school": offering.school.name,
        "title": offering.title,
        "kind": offering.kind.value,
        "period": offering.term.name if offering.term else offering.holiday.name,
        "starts_on": offering.starts_on.isoformat(),
        "ends_on": offering.ends_on.isoformat(),
        "weekdays": list(offering.weekdays),
        "exception_weekdays": list(offering.exception_weekdays or []),  # EVERY_SCHOOL_DAY's declared days off
        "exception_reason": offering.exception_reason or "",
        "starts_at": offering.starts_at.strftime("%H:%M"),
        "ends_at": offering.ends_at.strftime("%H:%M"),
        "basic_content": offering.basic_content,
        "evening": ([offering.evening_starts_at.strftime("%H:%M"), offering.evening_ends_at.strftime("%H:%M")]
                    if offering.evening_ends_at else None),
        "apply_deadline": offering.apply_deadline.isoformat(),
        "apply_by": _allocation().apply_by_text(offering),
        "window": window_summary(offering),
        "fee_period": offering.fee_period.value,
        "basic_fee_cents": offering.basic_fee_cents,
        "fee_rules": offering.fee_rules,
        "refund_rule": offering.refund_rule,
        "hardship_rule": offering.hardship_rule,
        "safety_measures": offering.safety_measures,
        "priority_groups": list(offering.priority_groups),
        "closed_days": sorted(d.isoformat() for d in public_holidays(offering.school, offering.starts_on,
                                                                        offering.ends_on)),
        "agreement_version": agreement.version if agreement else None,
        "activities": [
            {
                "id": a.id, "name": a.name, "activity": a.activity, "subject": a.subject,
                "description": a.description, "grades": list(a.grades), "weekdays": list(a.weekdays),
                "starts_at": a.starts_at.strftime("%H:%M"), "ends_at": a.ends_at.strftime("%H:%M"),
                "capacity": a.capacity, "room": a.room, "fee_cents": a.fee_cents,
                "leader": a.led_by,
                "by_provider": a.provider is not None, "section_of": a.section_of_id,
            }
            for a in offering.activities
        ],
    }


def publish_offering(offering: Offering, user, change_note: str = "") -> NoticeVersion:
    """Publish the offering as its next notice version; earlier versions stay viewable."""
    offering.published_version = (offering.published_version or 0) + 1
    offering.changed_since_publish = False
    version = NoticeVersion(offering=offering, version=offering.published_version, content=notice_content(offering),
                            change_note=change_note, published_by_id=user.id)
    db.session.add(version)
    db.session.flush()
    logger.info("offering %s published as version %s", offering.id, version.version)
    return version


def current_agreement(school: School) -> AgreementText | None:
    """The school's newest agreement text, which new applications sign."""
    return db.session.scalar(
        db.select(AgreementText).filter_by(school_id=school.id).order_by(AgreementText.version.desc()).limit(1)
    )


def add_agreement(school: School, body: str, user) -> AgreementText:
    """Save a new version of the agreement text."""
    latest = current_agreement(school)
    text = AgreementText(school_id=school.id, version=(latest.version + 1) if latest else 1, body=body,
                         created_by_id=user.id)
    db.session.add(text)
    db.session.flush()
    return text


def published_offerings(school: School) -> list[Offering]:
    """A school's offerings that have a published notice, newest first."""
    return list(db.session.scalars(
        db.select(Offering).filter(Offering.school_id == school.id, Offering.published_version > 0)
        .order_by(Offering.starts_on.desc(), Offering.id)
    ))


def care_holidays(school: School) -> list[Holiday]:
    """The winter and summer holidays holiday care can be offered for."""
    return [h for h in school.holidays if h.kind in (HolidayKind.WINTER, HolidayKind.SUMMER)]
