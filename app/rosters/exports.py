"""Exports of published rosters: a person's week, the school's roster and workload, as XLSX (openpyxl); every row
goes through app.spreadsheets.append_row, so no name or room becomes a formula."""

from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.rosters.expected import expected_by_session
from app.rosters.models import Week, id_of
from app.spreadsheets import table_workbook
from app.staff.models import StaffProfile

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def my_week_xlsx(sessions, kind_label, activity_label) -> bytes:
    """A person's published sessions (myweek.services.MySession) of a week."""
    header = [_("Date"), _("Start"), _("End"), _("Kind"), _("Activity"), _("Room"), _("Classes"),
              _("Children expected"), _("Minutes")]
    rows = [[s.on_date.isoformat(), s.starts_at.strftime("%H:%M"), s.ends_at.strftime("%H:%M"), kind_label(s.kind),
             activity_label(s.activity), s.room, "、".join(s.classes), s.enrolled, s.minutes] for s in sessions]
    return table_workbook(_("My week"), header, rows)


def school_week(school_id: int, monday: date) -> Week | None:
    return db.session.scalar(select(Week).filter_by(school_id=school_id, monday=monday))


def roster_rows(week: Week | None) -> list[dict]:
    """The latest published version of a week, one row per session with its staff (names as published)."""
    version = week.published if week is not None else None
    if version is None:
        return []
    roster = version.roster
    people: dict[str, list[str]] = {}
    for assignment in roster.get("assignments", []):
        name = roster.get("staff", {}).get(assignment["staff"], {}).get("name", assignment["staff"])
        people.setdefault(assignment["session"], []).append(name)
    expected = expected_by_session(id_of(key) for key in roster.get("sessions", {}))
    enrolled = {session_id: found.count for session_id, found in expected.items()}
    rows = []
    for key, info in roster.get("sessions", {}).items():
        rows.append({"key": key, "session_id": id_of(key), "date": info["date"], "start": info["start"],
                     "end": info["end"],
                     "kind": info.get("kind", ""), "activity": info.get("activity", ""),
                     "subject": info.get("subject") or "", "room": info.get("room") or "",
                     "series": info.get("series") or "", "classes": info.get("classes") or [],
                     "enrolled": enrolled.get(id_of(key)), "staff": people.get(key, []),
                     "staff_needed": info.get("staff_needed")})
    return sorted(rows, key=lambda r: (r["date"], r["start"], r["key"]))


def roster_xlsx(rows: list[dict], kind_label, activity_label, version: int | None) -> bytes:
    header = [_("Date"), _("Start"), _("End"), _("Kind"), _("Activity"), _("Series"), _("Room"), _("Classes"),
              _("Children expected"), _("Staff")]
    body = [[r["date"], r["start"], r["end"], kind_label(r["kind"]), activity_label(r["activity"]), r["series"],
             r["room"], "、".join(r["classes"]), r["enrolled"], "、".join(r["staff"]) or _("unstaffed")] for r in rows]
    title = _("Roster v%(number)s", number=version) if version else _("Roster")
    return table_workbook(title, header, body)


def workload_rows(school_id: int, monday: date, tally, published_sessions) -> list[dict]:
    """Per person of the school (and provider staff in its published roster): the week's minutes, days,
    compensatory rest and subsidy, read from the published roster like "My week"."""
    week = school_week(school_id, monday)
    version = week.published if week is not None else None
    if version is None:
        return []
    keys = {a["staff"] for a in version.roster.get("assignments", [])}
    profiles = db.session.scalars(select(StaffProfile).where(StaffProfile.id.in_([id_of(k) for k in keys])))
    rows = []
    for profile in profiles:
        sessions = [s for s in published_sessions(profile, monday, monday + timedelta(days=6))
                    if s.school_id == school_id]
        result = tally(sessions, profile)
        rows.append({"name": profile.user.name, "type": profile.staff_type.value, "tally": result})
    return sorted(rows, key=lambda r: (-r["tally"].minutes, r["name"]))


def workload_xlsx(rows: list[dict], type_labels) -> bytes:
    header = [_("Name"), _("Type"), _("Sessions"), _("Minutes"), _("Days"), _("Compensatory rest (minutes)"),
              _("Subsidy (yuan)")]
    body = [[r["name"], str(type_labels[r["type"]]), r["tally"].sessions, r["tally"].minutes, r["tally"].days,
             r["tally"].rest_minutes, round(r["tally"].subsidy_cents / 100, 2)] for r in rows]
    return table_workbook(_("Workload"), header, body)
