"""My week: the person's published sessions, minutes against the caps, compensatory rest and subsidy;
"I can't make it" with the coordinator's replacements."""

import html
import re
from datetime import date, time, timedelta

import pytest
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models_base import local_today
from app.rosters import jobs
from app.rosters.absence import AbsenceStatus, SessionAbsence
from app.rosters.models import Assignment, PlannedSession, RosterSettings, RosterVersion, Week, staff_key
from scheduling.policy import TEACHER_MAX_WEEKLY_MINUTES
from tests import factories


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def publish_week(school, monday: date, plan: list[tuple], *, number: int = 1) -> tuple[Week, list[PlannedSession]]:
    """A week with sessions and a published version. `plan`: (weekday, "HH:MM", "HH:MM", kind, activity,
    [profiles], room, [classes]) per session; the working assignments match the published ones."""
    week = db.session.scalar(db.select(Week).filter_by(school_id=school.id, monday=monday))
    if week is None:
        week = Week(school_id=school.id, monday=monday)
        db.session.add(week)
        db.session.flush()
    sessions = []
    for weekday, start, end, kind, activity, profiles, room, classes in plan:
        session = PlannedSession(week=week, on_date=monday + timedelta(days=weekday),
                                 starts_at=time.fromisoformat(start), ends_at=time.fromisoformat(end), kind=kind,
                                 activity=activity, room=room, series=f"{activity}-{room}", enrolled=30,
                                 staff_needed=len(profiles) or 1)
        session.classes = list(classes)
        for profile in profiles:
            session.assignments.append(Assignment(profile_id=profile.id))
        db.session.add(session)
        sessions.append(session)
    db.session.flush()
    roster = {
        "status": "feasible",
        "assignments": [{"session": s.key, "staff": staff_key(a.profile_id)} for s in week.sessions
                        for a in s.assignments],
        "unstaffed": [], "rejected": [], "plan_errors": [], "metrics": {},
        "sessions": {s.key: {"date": s.on_date.isoformat(), "start": s.starts_at.strftime("%H:%M"),
                             "end": s.ends_at.strftime("%H:%M"), "kind": s.kind, "activity": s.activity,
                             "subject": "", "room": s.room, "series": s.series,
                             "classes": [f"{c.grade.number}年级{c.number}班" for c in s.classes],
                             "staff_needed": s.staff_needed} for s in week.sessions},
        "staff": {staff_key(a.profile_id): {"name": a.profile.user.name, "user_id": a.profile.user_id}
                  for s in week.sessions for a in s.assignments},
    }
    db.session.add(RosterVersion(week=week, number=number, roster=roster))
    db.session.commit()
    return week, sessions


def form_with(page: str, marker: str) -> tuple[str, list[tuple[str, str]]]:
    """The action and every (name, value) field of the page's form that contains `marker`, in page order."""
    form = next(f for f in re.findall(r"<form\b.*?</form>", page, flags=re.S) if marker in f)
    action = html.unescape(re.search(r'action="([^"]*)"', form).group(1))
    fields = []
    for tag in re.findall(r"<input\b[^>]*>", form):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            fields.append((html.unescape(name.group(1)), html.unescape(value.group(1)) if value else ""))
    return action, fields


@pytest.fixture(autouse=True)
def english(client):
    client.post("/language", data={"locale": "en"})


@pytest.fixture
def this_monday() -> date:
    return monday_of(local_today())


def test_my_week_lists_published_sessions_with_details(client, world, login, this_monday):
    teacher = world.users["teacher"]
    other = world.users["class_teacher"]
    publish_week(world.own_school, this_monday, [
        (1, "15:40", "16:40", "after_school", "homework_help", [teacher.staff_profile], "101", [world.own_class]),
        (2, "15:40", "17:40", "after_school", "sports", [other.staff_profile], "操场", []),
    ])
    login(teacher)
    page = client.get("/my-week").get_data(as_text=True)
    assert "15:40–16:40" in page and "Room 101" in page and "1年级1班" in page
    assert "30 children expected" in page and "homework help" in page
    assert "操场" not in page  # someone else's session
    assert f"60 minutes on 1 days · at most {TEACHER_MAX_WEEKLY_MINUTES} minutes" in " ".join(page.split())


def test_unpublished_assignments_are_not_shown(client, world, login, this_monday):
    teacher = world.users["teacher"]
    week = Week(school_id=world.own_school.id, monday=this_monday)
    session = PlannedSession(week=week, on_date=this_monday, starts_at=time(15, 40), ends_at=time(16, 40),
                             kind="after_school", activity="supervision", room="Room-Z9")
    session.assignments.append(Assignment(profile_id=teacher.staff_profile.id))
    db.session.add(week)
    db.session.commit()
    login(teacher)
    page = client.get("/my-week").get_data(as_text=True)
    assert "No published sessions for you this week." in page and "Room-Z9" not in page


def test_latest_published_version_wins(client, world, login, this_monday):
    teacher, other = world.users["teacher"], world.users["class_teacher"]
    week, [session] = publish_week(world.own_school, this_monday, [
        (0, "15:40", "16:40", "after_school", "reading", [teacher.staff_profile], "301", [])])
    roster = dict(week.published.roster, assignments=[{"session": session.key,
                                                       "staff": staff_key(other.staff_profile.id)}])
    db.session.add(RosterVersion(week=week, number=2, roster=roster))
    db.session.commit()
    login(teacher)
    assert "301" not in client.get("/my-week").get_data(as_text=True)


def test_rest_and_subsidy_from_school_settings(client, world, login, this_monday):
    junior = factories.create_school(world.county)
    teacher = factories.create_teacher(junior)
    db.session.add(RosterSettings(school_id=junior.id, subsidy_cents_per_hour=3000, rest_threshold_minutes=120,
                                  rest_earned_minutes=60))
    publish_week(junior, this_monday, [
        (0, "18:30", "20:30", "evening_study", "self_study", [teacher.staff_profile], "701", []),
        (1, "15:40", "16:40", "after_school", "supervision", [teacher.staff_profile], "702", []),
    ])
    login(teacher)
    page = client.get("/my-week").get_data(as_text=True)
    # 120 evening minutes earn 60 of rest; 180 service minutes at ¥30/hour make ¥90.
    assert "60 minutes this week" in page
    assert "¥90.00 this week" in page


def test_term_totals(client, world, login, this_monday):
    teacher = world.users["teacher"]
    factories.create_term(world.own_school, name="本学期", starts_on=this_monday - timedelta(days=30),
                          ends_on=this_monday + timedelta(days=60))
    publish_week(world.own_school, this_monday - timedelta(days=7), [
        (0, "15:40", "17:40", "after_school", "supervision", [teacher.staff_profile], "1", [])])
    publish_week(world.own_school, this_monday, [
        (0, "15:40", "16:40", "after_school", "supervision", [teacher.staff_profile], "1", [])])
    login(teacher)
    page = client.get("/my-week").get_data(as_text=True)
    assert "This term (本学期)" in page and "180 minutes in 2 sessions" in page


def test_provider_staff_see_only_their_own_sessions(client, world, login, this_monday):
    provider_staff = world.users["provider_staff"]
    teacher = world.users["teacher"]
    publish_week(world.own_school, this_monday, [
        (2, "16:00", "17:00", "after_school", "sports", [provider_staff.staff_profile, teacher.staff_profile],
         "体育馆", []),
        (3, "16:00", "17:00", "after_school", "arts", [teacher.staff_profile], "美术室", []),
    ])
    login(provider_staff)
    page = client.get("/my-week").get_data(as_text=True)
    assert "体育馆" in page and "美术室" not in page
    assert "Subsidy earned" not in page  # paid by their provider


def test_other_weeks_and_bad_week(client, world, login, this_monday):
    teacher = world.users["teacher"]
    publish_week(world.own_school, this_monday + timedelta(days=7), [
        (0, "15:40", "16:40", "after_school", "reading", [teacher.staff_profile], "next-room", [])])
    login(teacher)
    assert "next-room" not in client.get("/my-week").get_data(as_text=True)
    url = f"/my-week?week={(this_monday + timedelta(days=9)).isoformat()}"
    assert "next-room" in client.get(url).get_data(as_text=True)
    assert client.get("/my-week?week=notadate").status_code == 400  # a bad request, not a missing page


# --- I can't make it ---


def _future_week(world, teacher, this_monday, extra_people=()):
    monday = this_monday + timedelta(days=7)
    return publish_week(world.own_school, monday, [
        (0, "15:40", "16:40", "after_school", "supervision", [teacher.staff_profile], "101", [world.own_class]),
        (1, "15:40", "16:40", "after_school", "supervision", list(extra_people), "102", [world.own_class]),
    ])


def test_flag_withdraw_and_only_own_sessions(client, world, login, this_monday):
    teacher, other = world.users["teacher"], world.users["class_teacher"]
    _, [mine, theirs] = _future_week(world, teacher, this_monday, [other.staff_profile])
    login(teacher)
    assert client.post(f"/my-week/sessions/{theirs.id}/absence", data={"reason": "x"}).status_code == 404
    response = client.post(f"/my-week/sessions/{mine.id}/absence", data={"reason": "  "})
    assert response.status_code == 302 and db.session.scalar(db.select(SessionAbsence)) is None
    client.post(f"/my-week/sessions/{mine.id}/absence", data={"reason": "孩子生病"})
    flag = db.session.scalar(db.select(SessionAbsence))
    assert (flag.reason, flag.status, flag.profile_id) == ("孩子生病", AbsenceStatus.OPEN, teacher.staff_profile.id)
    page = client.get(f"/my-week?week={mine.on_date.isoformat()}").get_data(as_text=True)
    assert "you cannot make it" in page
    client.post(f"/my-week/sessions/{mine.id}/absence/withdraw")
    db.session.refresh(flag)
    assert flag.status is AbsenceStatus.WITHDRAWN


def test_coordinator_sees_flag_with_replacements_and_replaces(client, world, login, this_monday):
    teacher, spare = world.users["teacher"], world.users["class_teacher"]
    _, [mine, _other] = _future_week(world, teacher, this_monday)
    login(teacher)
    client.post(f"/my-week/sessions/{mine.id}/absence", data={"reason": "培训"})
    client.post("/account/logout")
    login(world.users["school_admin"])
    page = client.get("/absences").get_data(as_text=True)
    assert "培训" in page and teacher.name in page
    flag = db.session.scalar(db.select(SessionAbsence))
    from app.notifications.models import Notification

    [note] = db.session.scalars(db.select(Notification).filter_by(user_id=world.users["school_admin"].id)).all()
    assert teacher.name in note.subject and note.link == f"/absences/{flag.id}" and note.body == "培训"
    page = client.get(f"/absences/{flag.id}").get_data(as_text=True)
    # The spare teacher (opted in, can supervise, free) is offered; the absent teacher is not.
    assert f'value="{staff_key(spare.staff_profile.id)}"' in page
    assert f'value="{staff_key(teacher.staff_profile.id)}"' not in page
    # The engine's re-plan of the week is a roster job, started by a POST; the page never solves.
    assert f'action="/absences/{flag.id}/search"' in page and "job-progress" not in page
    action, fields = form_with(page, "Ask the engine")
    page = client.post(action, data=MultiDict(fields), follow_redirects=True).get_data(as_text=True)
    assert "job-progress" in page and "waiting to start" in page
    jobs.run_queued()
    engine_page = client.get(f"/absences/{flag.id}").get_data(as_text=True)
    assert "job-progress" not in engine_page and "Ask the engine again" in engine_page
    assert f'value="{staff_key(spare.staff_profile.id)}"' in engine_page
    # The coordinator presses the spare teacher's button: the form is posted exactly as the page renders it.
    action, fields = form_with(page, f'value="{staff_key(spare.staff_profile.id)}"')
    page = client.post(action, data=MultiDict(fields), follow_redirects=True).get_data(as_text=True)
    assert f"{spare.name} now takes the session" in page
    db.session.refresh(flag)
    assert flag.status is AbsenceStatus.RESOLVED
    people = {a.profile_id for a in db.session.scalars(db.select(Assignment).filter_by(session_id=mine.id))}
    assert people == {spare.staff_profile.id}


def test_coordinator_cannot_put_other_schools_staff(client, world, login, this_monday):
    teacher = world.users["teacher"]
    _, [mine, _other] = _future_week(world, teacher, this_monday)
    flag = SessionAbsence(session_id=mine.id, profile_id=teacher.staff_profile.id, school_id=world.own_school.id,
                          reason="r")
    db.session.add(flag)
    db.session.commit()
    login(world.users["school_admin"])
    stranger = world.other_users["teacher"].staff_profile
    assert client.post(f"/absences/{flag.id}/replace", data={"staff": staff_key(stranger.id)}).status_code == 404
    client.post("/account/logout")
    login(world.other_users["school_admin"])
    assert client.get(f"/absences/{flag.id}").status_code == 404


def test_direct_replacements_valid_and_least_loaded_first(app, world, this_monday):
    from app.rosters.absence import MAX_DIRECT, replacements

    teacher = world.users["teacher"]
    busy = factories.create_teacher(world.own_school)
    idle = factories.create_teacher(world.own_school)
    for person in (teacher, busy, idle):
        person.staff_profile.skills = ["supervision", "reading"]
    monday = this_monday + timedelta(days=7)
    _, [flagged, _busy_session] = publish_week(world.own_school, monday, [
        (0, "15:40", "16:40", "after_school", "reading", [teacher.staff_profile], "101", [world.own_class]),
        (1, "15:40", "17:40", "after_school", "supervision", [busy.staff_profile], "102", [world.own_class]),
    ])
    flag = SessionAbsence(session_id=flagged.id, profile_id=teacher.staff_profile.id, school_id=world.own_school.id,
                          reason="r")
    db.session.add(flag)
    db.session.commit()
    direct = replacements(flag)
    keys = [c["staff"] for c in direct]
    assert keys == [staff_key(idle.staff_profile.id), staff_key(busy.staff_profile.id)]
    # The class teacher cannot lead reading (QUALIFICATION), the absent teacher is not offered.
    assert staff_key(world.users["class_teacher"].staff_profile.id) not in keys
    assert len(direct) <= MAX_DIRECT and [c["minutes"] for c in direct] == [0, 120]


def _flagged(world, this_monday) -> SessionAbsence:
    teacher = world.users["teacher"]
    _, [mine, _other] = _future_week(world, teacher, this_monday, [world.users["class_teacher"].staff_profile])
    flag = SessionAbsence(session_id=mine.id, profile_id=teacher.staff_profile.id, school_id=world.own_school.id,
                          reason="培训")
    db.session.add(flag)
    db.session.commit()
    return flag


def test_a_get_never_solves_the_search_waits_for_the_runner(client, world, login, this_monday, monkeypatch):
    import scheduling.solver

    flag = _flagged(world, this_monday)
    login(world.users["school_admin"])

    def no_solving(*args, **kwargs):
        raise AssertionError("a page solved")

    monkeypatch.setattr(scheduling.solver, "solve", no_solving)
    for url in (f"/absences/{flag.id}", f"/absences/{flag.id}?engine=1"):
        page = client.get(url).get_data(as_text=True)
        assert "Ask the engine" in page and "job-progress" not in page
    assert client.get(f"/absences/{flag.id}/search.json").status_code == 404  # nothing started yet
    assert client.get(f"/absences/{flag.id}/search").status_code == 405  # starting it is a POST
    page = client.post(f"/absences/{flag.id}/search", follow_redirects=True).get_data(as_text=True)
    search = absence_search(flag)
    assert search is not None and search.status.value == "queued"  # the worker runner: queued, not solved
    assert "job-progress" in page and "waiting to start" in page and f"/absences/{flag.id}/search.json" in page
    status = client.get(f"/absences/{flag.id}/search.json").get_json()
    assert status["status"] == "queued" and not status["finished"] and status["url"] == f"/absences/{flag.id}"
    assert "waiting to start" in client.get(f"/absences/{flag.id}").get_data(as_text=True)
    monkeypatch.undo()
    assert jobs.run_queued() == 1
    status = client.get(f"/absences/{flag.id}/search.json").get_json()
    assert status["status"] == "done" and status["finished"]


def test_a_search_with_no_worker_says_so(client, world, login, this_monday):
    flag = _flagged(world, this_monday)
    login(world.users["school_admin"])
    client.post(f"/absences/{flag.id}/search")
    search = absence_search(flag)
    search.created_at = search.created_at - timedelta(seconds=jobs.QUEUED_WARNING_SECONDS + 5)
    db.session.commit()
    page = client.get(f"/absences/{flag.id}").get_data(as_text=True)
    assert "no roster worker is running" in html.unescape(page) and jobs.WORKER_COMMAND in html.unescape(page)
    assert "no roster worker is running" in client.get(f"/absences/{flag.id}/search.json").get_json()["warning"]


def test_the_search_job_finds_what_the_synchronous_search_found(client, world, login, this_monday):
    """The same re-plan the page used to solve inside a GET (3 s, one worker), now a roster job: same people offered,
    same count of other places changed, the session staffed."""
    import scheduling
    from app.rosters import absence
    from app.rosters.models import session_key

    extra = factories.create_teacher(world.own_school)
    extra.staff_profile.skills = ["supervision"]
    flag = _flagged(world, this_monday)
    problem, current = absence._without(flag)
    roster = scheduling.solve(problem, time_limit=absence.REPLACEMENT_TIME_LIMIT, workers=1)
    target = session_key(flag.session_id)
    solved, old = {(a["session"], a["staff"]) for a in roster.assignments}, {
        (a["session"], a["staff"]) for a in current["assignments"]}
    before = sorted(staff for sid, staff in solved - old if sid == target)
    assert before  # somebody steps in

    login(world.users["school_admin"])
    client.post(f"/absences/{flag.id}/search")
    jobs.run_queued()
    search = absence_search(flag)
    found = absence.engine_choice(flag, search)
    assert [p["staff"] for p in found["staff"]] == before and found["staffed"]
    assert found["other_changes"] == len({pair for pair in solved ^ old if pair[0] != target})
    page = client.get(f"/absences/{flag.id}").get_data(as_text=True)
    for key in before:
        action, fields = form_with(page.split("The engine&#39;s suggestion")[-1], f'value="{key}"')
        assert action == f"/absences/{flag.id}/replace" and ("staff", key) in fields


def absence_search(flag):
    from app.rosters.absence import latest_search

    db.session.expire_all()
    return latest_search(db.session.get(SessionAbsence, flag.id))
