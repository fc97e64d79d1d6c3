""""I can't make it": a person flags a published session they cannot serve; the coordinator sees the flag with
who could step in directly, and can ask the engine (a roster job) to re-plan the week around it."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models_base import TimestampColumn, enum_column, utcnow


class AbsenceStatus(enum.Enum):
    OPEN = "open"  # flagged, waiting for the coordinator
    RESOLVED = "resolved"  # the coordinator replaced the person (or decided otherwise)
    WITHDRAWN = "withdrawn"  # the person can make it after all


class SessionAbsence(db.Model):
    """A person's notice that they cannot serve a session they are rostered for, with their reason."""

    __tablename__ = "session_absence"
    __table_args__ = (UniqueConstraint("session_id", "profile_id", name="session_absence_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("planned_session.id", ondelete="CASCADE"), index=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("staff_profile.id", ondelete="CASCADE"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[AbsenceStatus] = mapped_column(enum_column(AbsenceStatus), default=AbsenceStatus.OPEN, index=True)
    created_at: Mapped[datetime] = mapped_column(TimestampColumn(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(TimestampColumn())

    session: Mapped["PlannedSession"] = relationship()  # noqa: F821
    profile: Mapped["StaffProfile"] = relationship()  # noqa: F821
    school: Mapped["School"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<SessionAbsence s{self.session_id} p{self.profile_id} {self.status.value}>"


def absences_for(profile, session_ids: list[int]) -> dict[int, SessionAbsence]:
    """{session id: the person's flag} for the given sessions (withdrawn flags left out)."""
    if not session_ids:
        return {}
    rows = db.session.scalars(select(SessionAbsence).where(
        SessionAbsence.profile_id == profile.id, SessionAbsence.session_id.in_(session_ids),
        SessionAbsence.status != AbsenceStatus.WITHDRAWN))
    return {row.session_id: row for row in rows}


# --- Flagging and withdrawing (services: flush only) ---


def flag(profile, session, reason: str) -> SessionAbsence:
    """Record that the person cannot serve the session (a withdrawn flag is opened again)."""
    absence = db.session.scalar(select(SessionAbsence).filter_by(session_id=session.id, profile_id=profile.id))
    if absence is None:
        absence = SessionAbsence(session_id=session.id, profile_id=profile.id, school_id=session.week.school_id,
                                 reason=reason)
        db.session.add(absence)
    else:
        absence.reason = reason
        absence.status = AbsenceStatus.OPEN
        absence.resolved_at = None
    db.session.flush()
    return absence


def withdraw(profile, session) -> bool:
    """The person can make it after all; False when there was no open flag."""
    absence = db.session.scalar(select(SessionAbsence).filter_by(session_id=session.id, profile_id=profile.id,
                                                                 status=AbsenceStatus.OPEN))
    if absence is None:
        return False
    absence.status = AbsenceStatus.WITHDRAWN
    db.session.flush()
    return True


def open_absences(school_id: int) -> list[SessionAbsence]:
    """The school's open flags, soonest session first."""
    from app.rosters.models import PlannedSession

    return list(db.session.scalars(
        select(SessionAbsence).join(PlannedSession, PlannedSession.id == SessionAbsence.session_id)
        .where(SessionAbsence.school_id == school_id, SessionAbsence.status == AbsenceStatus.OPEN)
        .order_by(PlannedSession.on_date, PlannedSession.starts_at, SessionAbsence.id)))


# --- Replacements ---

REPLACEMENT_TIME_LIMIT = 3.0  # seconds for the engine's re-solve (a roster job: the coordinator watches its progress)
MAX_DIRECT = 5  # direct swaps offered, best first


def _published_roster(week) -> dict:
    version = week.published
    roster = dict(version.roster) if version else {"status": "feasible", "assignments": []}
    return {key: roster.get(key, []) for key in ("assignments", "unstaffed", "rejected", "plan_errors")} | {
        "status": roster.get("status", "feasible")}


def _complete(roster: dict, problem: dict) -> dict:
    """Every session of the problem listed once (staffed or unstaffed), as `validate` requires."""
    listed = {a["session"] for a in roster["assignments"]} | {u["session"] for u in roster["unstaffed"]} | {
        r["session"] for r in roster["rejected"]}
    unstaffed = list(roster["unstaffed"]) + [{"session": s["id"], "rules": [], "reason": ""}
                                              for s in problem["sessions"] if s["id"] not in listed]
    return dict(roster, unstaffed=unstaffed)


def _without(absence: SessionAbsence) -> tuple[dict, dict]:
    """The week's problem with the person made unavailable for the session, starting from the published roster (so a
    re-solve changes as little as it can), and that published roster as `validate` reads it."""
    from app.rosters.models import session_key, staff_key
    from app.rosters.services import build_problem

    session = absence.session
    absent, target = staff_key(absence.profile_id), session_key(session.id)
    problem = build_problem(session.week)
    current = _published_roster(session.week)
    # Only people who may still be rostered (a suspended provider's staff have left the problem): the others' places
    # in the published roster are gaps to fill, not people to validate or offer.
    people = {person["id"] for person in problem["staff"]}
    current = _complete(dict(current, assignments=[a for a in current["assignments"] if a["staff"] in people]), problem)
    problem["previous"] = [dict(a) for a in current["assignments"]]
    problem["pinned"] = [p for p in problem["pinned"] if not (p["session"] == target and p["staff"] == absent)]
    for person in problem["staff"]:
        if person["id"] == absent:
            person["unavailable"] = list(person.get("unavailable") or []) + [{
                "date": session.on_date.isoformat(), "start": session.starts_at.strftime("%H:%M"),
                "end": session.ends_at.strftime("%H:%M")}]
    return problem, current


def replacements(absence: SessionAbsence) -> list[dict]:
    """Up to MAX_DIRECT people who could take the person's place with nothing else changed (each such swap checked by
    scheduling.validate against every hard rule), qualified and least loaded first. No solve: the engine's re-plan
    of the week is a roster job (start_search)."""
    from app.rosters.models import session_key, staff_key
    from scheduling.problem import parse_problem, span_minutes
    from scheduling.validate import validate

    session = absence.session
    absent, target = staff_key(absence.profile_id), session_key(session.id)
    problem, current = _without(absence)
    names = {person["id"]: person["name"] for person in problem["staff"]}
    parsed = parse_problem(problem)

    in_session = {a["staff"] for a in current["assignments"] if a["session"] == target}
    minutes = {item["id"]: span_minutes(item["start"], item["end"]) for item in problem["sessions"]}
    load: dict[str, int] = {}
    for a in current["assignments"]:
        load[a["staff"]] = load.get(a["staff"], 0) + minutes.get(a["session"], 0)
    before = {(v["rule"], v.get("session"), v.get("staff")) for v in validate(parsed, current)}
    direct = []
    for person in problem["staff"]:
        candidate = person["id"]
        if candidate in in_session or candidate == absent:
            continue
        swapped = [a for a in current["assignments"] if not (a["session"] == target and a["staff"] == absent)]
        swapped.append({"session": target, "staff": candidate})
        after = {(v["rule"], v.get("session"), v.get("staff"))
                 for v in validate(parsed, dict(current, assignments=swapped))}
        if not (after - before):
            direct.append({"staff": candidate, "name": names[candidate],
                           "qualified": session.activity in (person.get("skills") or []),
                           "minutes": load.get(candidate, 0)})
    # Best first: qualified for the activity itself, then the lightest week so far (fair load).
    direct.sort(key=lambda c: (not c["qualified"], c["minutes"], c["name"]))
    return direct[:MAX_DIRECT]


def start_search(absence: SessionAbsence, actor):
    """Queue the engine's re-plan of the week around the absence as a roster job (a what-if: nothing saved is
    touched), run by the roster jobs' runner like every other solve. Flushes; dispatch the job after the commit."""
    from app.rosters import jobs
    from app.rosters.models import RosterJobKind

    problem, _current = _without(absence)
    return jobs.enqueue(absence.session.week, actor, kind=RosterJobKind.WHATIF, changes={"absence": absence.id},
                        time_limit=REPLACEMENT_TIME_LIMIT, problem=problem)


def latest_search(absence: SessionAbsence):
    """The newest replacement search started for this absence, or None."""
    from app.rosters.models import RosterJob, RosterJobKind

    jobs = db.session.scalars(select(RosterJob).where(RosterJob.week_id == absence.session.week_id,
                                                      RosterJob.kind == RosterJobKind.WHATIF)
                              .order_by(RosterJob.id.desc()))
    return next((job for job in jobs if (job.changes or {}).get("absence") == absence.id), None)


def engine_choice(absence: SessionAbsence, job) -> dict | None:
    """What a finished search found: who the re-solved week puts into the session, how many other places it changes
    against the published roster it started from, and whether the session is staffed (None until it is done)."""
    from app.rosters.models import session_key

    if job is None or job.result is None:
        return None
    target = session_key(absence.session_id)
    names = {person["id"]: person["name"] for person in job.problem["staff"]}
    solved = {(a["session"], a["staff"]) for a in job.result["assignments"]}
    old = {(a["session"], a["staff"]) for a in job.problem.get("previous", [])}
    new_people = sorted(staff for sid, staff in solved - old if sid == target)
    return {
        "staff": [{"staff": key, "name": names.get(key, key)} for key in new_people],
        "other_changes": len({pair for pair in solved ^ old if pair[0] != target}),
        "staffed": any(sid == target for sid, _ in solved),
    }


def replace(absence: SessionAbsence, replacement_profile_id: int) -> None:
    """Put the replacement into the working roster in the absent person's place (pinned, so a re-solve keeps it)
    and close the flag. The coordinator publishes the roster afterwards as usual."""
    from app.models_base import utcnow
    from app.rosters.models import Assignment

    session = absence.session
    for assignment in list(session.assignments):
        if assignment.profile_id == absence.profile_id:
            session.assignments.remove(assignment)
    if not any(a.profile_id == replacement_profile_id for a in session.assignments):
        session.assignments.append(Assignment(profile_id=replacement_profile_id, pinned=True))
    absence.status = AbsenceStatus.RESOLVED
    absence.resolved_at = utcnow()
    db.session.flush()


def tell_coordinators(absence: SessionAbsence, subject: str, link: str) -> int:
    """Put the notice in the inbox of every active administrator of the session's school; returns how many."""
    from app.accounts.models import Role, User
    from app.notifications.services import notify

    admins = db.session.scalars(select(User).filter_by(school_id=absence.school_id, role=Role.SCHOOL_ADMIN,
                                                       is_active_account=True).order_by(User.id)).all()
    for admin in admins:
        notify(admin, subject, body=absence.reason, link=link)
    return len(admins)
