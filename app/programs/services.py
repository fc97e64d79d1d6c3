"""Offerings, activities, notice versions and agreement texts. Services flush; the request commits."""

import logging
from datetime import date, timedelta

from flask_babel import get_locale

from app.extensions import db
from app.programs.models import Activity, AgreementText, NoticeVersion, Offering
from app.schools.models import Holiday, HolidayKind, School
from scheduling.policy import ACTIVITY_LABELS, KIND_LABELS, WEEKDAY_LABELS

logger = logging.getLogger(__name__)


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


def latest_work_end(school: School, starts_on: date, ends_on: date):
    """The latest local end of work on any day of a period (the school's seasonal timetable)."""
    day, latest = starts_on, school.work_end_on(starts_on)
    while day <= ends_on:
        latest = max(latest, school.work_end_on(day))
        day += timedelta(days=1)
    return latest


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


def save_activity(activity: Activity, offering: Offering, form) -> Activity:
    """Copy a validated ActivityForm into an activity of the offering and flush."""
    form.populate_activity(activity)
    activity.offering = offering
    activity.school_id = offering.school_id
    if offering.is_published:
        offering.changed_since_publish = True
    db.session.add(activity)
    db.session.flush()
    return activity


def delete_activity(activity: Activity) -> None:
    """Remove an activity nobody holds a seat in."""
    offering = activity.offering
    offering.activities.remove(activity)
    if offering.is_published:
        offering.changed_since_publish = True
    db.session.flush()


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
        "starts_at": offering.starts_at.strftime("%H:%M"),
        "ends_at": offering.ends_at.strftime("%H:%M"),
        "basic_content": offering.basic_content,
        "evening": ([offering.evening_starts_at.strftime("%H:%M"), offering.evening_ends_at.strftime("%H:%M")]
                    if offering.evening_ends_at else None),
        "apply_deadline": offering.apply_deadline.isoformat(),
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
                "leader": a.provider.name if a.provider else (a.leader.name if a.leader else ""),
                "by_provider": a.provider is not None,
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
