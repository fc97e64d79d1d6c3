"""Weekly rosters, the coordinator's side: translator, planning, background jobs, adjustments, publishing."""

import re
from datetime import date, time, timedelta

import pytest

import scheduling
from app.extensions import db
from app.models_base import utcnow
from app.notifications.models import Notification
from app.rosters import jobs, services
from app.rosters.models import (
    Assignment,
    PlannedSession,
    RosterJob,
    RosterJobKind,
    RosterJobStatus,
    RosterVersion,
    RosterWorker,
    SessionTemplate,
    Week,
    staff_key,
)
from app.staff.models import StaffType, StaffUnavailability, TeachingMinutes
from scheduling.validate import validate as validate_roster
from tests import factories

MONDAY = date(2026, 11, 23)  # a school week in the first term (factories' default term)
TIME_LIMIT = 3.0


@pytest.fixture(autouse=True)
def request_context(app):
    """Services speak the user's language (gettext): give direct calls a request, as the routes have."""
    with app.test_request_context():
        yield


@pytest.fixture
def school_week(app):
    """A primary school with two classes, four teachers, a provider coach, and a two-hour template per class."""
    county = factories.create_county()
    school = factories.create_school(county)
    factories.create_term(school)
    classes = [factories.create_class(school, 1, 1), factories.create_class(school, 1, 2)]
    teachers = [factories.create_teacher(school, name=f"老师{i}") for i in range(4)]
    provider = factories.create_provider(county, categories=("sports",))
    coach = factories.create_provider_staff(provider, name="教练")
    admin = factories.create_school_admin(school)
    for c in classes:
        db.session.add(SessionTemplate(
            school_id=school.id, series=f"{c.number}班作业辅导", weekdays=[0, 1, 2, 3, 4], starts_at=time(15, 40),
            ends_at=time(17, 40), kind="after_school", activity="homework_help", typed_enrolled=25, classes=[c]))
    db.session.flush()
    week = services.open_week(school, MONDAY)
    db.session.commit()
    return {"school": school, "classes": classes, "teachers": teachers, "coach": coach, "admin": admin,
            "week": week, "provider": provider}


def solve_now(week: Week, kind=RosterJobKind.GENERATE, changes=None) -> RosterJob:
    job = jobs.enqueue(week, None, kind=kind, changes=changes, time_limit=TIME_LIMIT)
    db.session.commit()
    assert jobs.run_queued() == 1
    db.session.expire_all()
    return db.session.get(RosterJob, job.id)


# --- Translator ---------------------------------------------------------------------------------


def test_build_problem_is_a_valid_contract_problem(school_week):
    week, teacher = school_week["week"], school_week["teachers"][0]
    profile = teacher.staff_profile
    db.session.add(TeachingMinutes(profile=profile, weekday=0, minutes=240))
    db.session.add(StaffUnavailability(profile=profile, weekday=1, starts_at=time(15, 0), ends_at=time(18, 0)))
    services.generate_sessions(week)
    problem = services.build_problem(week)
    parsed = scheduling.parse_problem(problem)
    assert len(parsed.sessions) == 10
    me = next(p for p in problem["staff"] if p["id"] == staff_key(profile.id))
    assert me["teaching_minutes"] == {"2026-11-23": 240}
    assert me["unavailable"] == [{"date": "2026-11-24", "start": "15:00", "end": "18:00"}]
    coach = next(p for p in problem["staff"] if p["type"] == "provider")
    assert coach["provider"] == f"v-{school_week['provider'].id}"
    assert problem["school"]["work_end"] == "17:00"  # November: the winter timetable
    assert problem["calendar"]["school_days"] == [f"2026-11-{d}" for d in range(23, 28)]


def test_provider_of_another_county_or_suspended_is_not_asked(school_week):
    from app.providers.models import ProviderStatus

    far = factories.create_provider(factories.create_county())
    factories.create_provider_staff(far, name="外县教练")
    school_week["provider"].status = ProviderStatus.SUSPENDED
    db.session.flush()
    names = {p["name"] for p in services.build_problem(school_week["week"])["staff"]}
    assert "外县教练" not in names and "教练" not in names


# --- Planning -----------------------------------------------------------------------------------


def test_sessions_from_templates_use_typed_numbers_and_the_ratio(school_week):
    settings = services.settings_for(school_week["school"])
    settings.default_ratio = 20
    made, skipped = services.generate_sessions(school_week["week"])
    assert (made, skipped) == (10, 0)
    session = school_week["week"].sessions[0]
    assert session.enrolled == 25 and session.staff_needed == 2  # ceil(25 / 20)


def test_holiday_days_are_skipped(school_week):
    factories.create_holiday(school_week["school"], name="调休", starts_on=date(2026, 11, 25),
                             ends_on=date(2026, 11, 25))
    made, skipped = services.generate_sessions(school_week["week"])
    assert (made, skipped) == (8, 2)


def test_plan_problems_come_from_the_engine_with_hints(school_week):
    week = school_week["week"]
    week.sessions.append(PlannedSession(on_date=MONDAY, starts_at=time(15, 40), ends_at=time(16, 40),
                                        kind="after_school", activity="new_lesson", series="新课",
                                        enrolled=10, staff_needed=1, classes=[school_week["classes"][0]]))
    db.session.flush()
    problems = services.plan_problems(week)
    rules = {p["rule"] for p in problems}
    assert "NO_NEW_LESSONS" in rules and "TWO_HOUR_MINIMUM" in rules
    assert all(p["hint"] for p in problems)


def test_plan_page_shows_problems(school_week, client, login):
    week = school_week["week"]
    week.sessions.append(PlannedSession(on_date=MONDAY, starts_at=time(15, 40), ends_at=time(16, 40),
                                        kind="after_school", activity="homework_help", series="短",
                                        enrolled=10, staff_needed=1, classes=[school_week["classes"][0]]))
    db.session.commit()
    login(school_week["admin"])
    page = client.get(f"/rosters/weeks/{week.id}").get_data(as_text=True)
    assert "TWO_HOUR_MINIMUM" in page and "END_BEFORE_WORK_END" in page


def test_template_form_refuses_an_end_before_the_start(school_week, client, login):
    login(school_week["admin"])
    response = client.post("/rosters/templates/new", data={
        "series": "x", "weekdays": [0], "starts_at": "17:00", "ends_at": "16:00", "kind": "after_school",
        "activity": "supervision", "classes": [school_week["classes"][0].id]})
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count(SessionTemplate.id))) == 2


# --- Generating in the background ---------------------------------------------------------------


def test_generate_job_stores_a_valid_roster_with_progress(school_week):
    week = school_week["week"]
    services.generate_sessions(week)
    db.session.commit()
    job = solve_now(week)
    assert job.status is RosterJobStatus.DONE, job.error
    assert job.progress["needed"] == 10 and job.progress["staffed"] == 10
    assert validate_roster(job.problem, job.result) == []
    db.session.refresh(week)
    assert sum(len(s.assignments) for s in week.sessions) == 10


def test_jobs_are_claimed_once(school_week):
    services.generate_sessions(school_week["week"])
    job = jobs.enqueue(school_week["week"], None, time_limit=TIME_LIMIT)
    db.session.commit()
    assert jobs.claim(job.id) is True
    assert jobs.claim(job.id) is False
    assert jobs.run_job(job.id) is False


def test_a_failing_job_says_why(school_week):
    job = jobs.enqueue(school_week["week"], None, time_limit=TIME_LIMIT)
    job.problem = {"school": {}}  # not a valid problem
    db.session.commit()
    jobs.run_queued()
    db.session.expire_all()
    job = db.session.get(RosterJob, job.id)
    assert job.status is RosterJobStatus.FAILED and "school" in job.error


def test_whatif_leaves_the_saved_roster_alone(school_week):
    week = school_week["week"]
    services.generate_sessions(week)
    db.session.commit()
    solve_now(week)
    before = sorted((a.session_id, a.profile_id) for s in week.sessions for a in s.assignments)
    job = solve_now(week, RosterJobKind.WHATIF, {"add_volunteers": [{"skills": ["supervision"]}]})
    assert job.status is RosterJobStatus.DONE
    assert any(p["id"] == "whatif-1" for p in job.problem["staff"])
    db.session.refresh(week)
    assert sorted((a.session_id, a.profile_id) for s in week.sessions for a in s.assignments) == before


def test_whatif_extra_day_raises_a_teachers_days(school_week):
    key = staff_key(school_week["teachers"][0].staff_profile.id)
    problem = services.build_problem(school_week["week"], extra={"extra_days": {key: 1}})
    me = next(p for p in problem["staff"] if p["id"] == key)
    assert me["max_days"] == problem["policy"]["teacher_max_days"] + 1


def test_solve_route_queues_and_the_status_json_reports(school_week, client, login):
    week = school_week["week"]
    services.generate_sessions(week)
    db.session.commit()
    login(school_week["admin"])
    response = client.post(f"/rosters/weeks/{week.id}/solve")
    assert response.status_code == 302
    job = db.session.scalar(db.select(RosterJob))
    status = client.get(f"/rosters/jobs/{job.id}.json").get_json()
    assert status["status"] == "queued" and status["finished"] is False
    jobs.run_queued()
    status = client.get(f"/rosters/jobs/{job.id}.json").get_json()
    assert status["status"] == "done" and status["progress"]["staffed"] == 10


def test_cli_run_once(school_week, runner):
    services.generate_sessions(school_week["week"])
    jobs.enqueue(school_week["week"], None, time_limit=TIME_LIMIT)
    db.session.commit()
    result = runner.invoke(args=["rosters", "run-once"])
    assert "Ran 1" in result.output


# --- Adjusting ----------------------------------------------------------------------------------


@pytest.fixture
def solved(school_week):
    services.generate_sessions(school_week["week"])
    db.session.commit()
    solve_now(school_week["week"])
    db.session.refresh(school_week["week"])
    return school_week


def test_pin_refused_with_the_rule_when_unavailable(solved):
    week = solved["week"]
    session = week.sessions[0]
    outsider = factories.create_teacher(solved["school"], name="请假老师")
    db.session.add(StaffUnavailability(profile=outsider.staff_profile, on_date=session.on_date,
                                       starts_at=time(15, 0), ends_at=time(18, 0)))
    session.assignments.clear()
    db.session.flush()
    with pytest.raises(services.ChangeRefused) as refused:
        services.pin(week, session, outsider.staff_profile)
    assert "AVAILABILITY" in refused.value.reasons[0]


def test_pin_refused_for_a_teacher_who_has_not_opted_in(solved):
    week = solved["week"]
    session = week.sessions[0]
    session.assignments.clear()
    shy = factories.create_teacher(solved["school"], opted_in=False)
    with pytest.raises(services.ChangeRefused) as refused:
        services.pin(week, session, shy.staff_profile)
    assert "OPT_IN" in refused.value.reasons[0]


def test_pin_kept_by_resolve(solved, client, login):
    week = solved["week"]
    session = week.sessions[0]
    other = factories.create_teacher(solved["school"], name="新老师")
    session.assignments.clear()
    db.session.commit()
    login(solved["admin"])
    response = client.post(f"/rosters/weeks/{week.id}/pin",
                           data={"session_id": session.id, "profile_id": other.staff_profile.id})
    assert response.status_code == 302
    solve_now(week)
    db.session.refresh(session)
    assert [(a.profile_id, a.pinned) for a in session.assignments] == [(other.staff_profile.id, True)]


def test_swap_refused_when_it_makes_an_overlap(solved):
    week = solved["week"]
    monday = [s for s in week.sessions if s.on_date == MONDAY]
    a, b = monday[0].assignments[0], monday[1].assignments[0]
    # Put b's person into a's session too: the swap would give them two sessions at once.
    extra = Assignment(profile_id=b.profile_id)
    monday[0].staff_needed = 2
    monday[0].assignments.append(extra)
    db.session.flush()
    with pytest.raises(services.ChangeRefused):
        services.swap(week, a, b)


def test_remove_makes_the_session_understaffed(solved, client, login):
    week = solved["week"]
    assignment_id = week.sessions[0].assignments[0].id
    login(solved["admin"])
    client.post(f"/rosters/assignments/{assignment_id}/remove")
    db.session.expire_all()
    assert db.session.get(Assignment, assignment_id) is None
    page = client.get(f"/rosters/weeks/{week.id}/roster").get_data(as_text=True)
    assert re.search(r"0 (of|/) 1", page)


# --- Publishing ---------------------------------------------------------------------------------


def test_publish_creates_versions_and_notifies_changed_people(solved, client, login):
    week = solved["week"]
    login(solved["admin"])
    response = client.post(f"/rosters/weeks/{week.id}/publish", data={"seen": "0", "note": "第一版"})
    assert response.status_code == 302
    first = db.session.scalar(db.select(RosterVersion).filter_by(week_id=week.id, number=1))
    assert len(first.roster["assignments"]) == 10
    told = db.session.scalar(db.select(db.func.count(Notification.id)))
    assert told == len({a["staff"] for a in first.roster["assignments"]})
    assert "课后服务安排有变动" in db.session.scalar(db.select(Notification.subject).limit(1))

    # Move one person out; only they are told about version 2.
    gone = week.sessions[0].assignments[0]
    person = gone.profile.user
    person.locale = "en"  # told in their own language, whoever publishes
    db.session.delete(gone)
    db.session.commit()
    client.post(f"/rosters/weeks/{week.id}/publish", data={"seen": "1"})
    notes = db.session.scalars(db.select(Notification).order_by(Notification.id)).all()[told:]
    assert [n.user_id for n in notes] == [person.id]
    assert notes[0].subject.startswith("Your after-school roster") and "No longer:" in notes[0].body
    diff = client.get(f"/rosters/weeks/{week.id}/diff?a=1&b=2").get_data(as_text=True)
    assert person.name in diff
    assert client.get(f"/rosters/weeks/{week.id}/versions/1").status_code == 200


def test_two_coordinators_publishing_at_once_get_a_clear_message(solved, client, login):
    week = solved["week"]
    login(solved["admin"])
    assert client.post(f"/rosters/weeks/{week.id}/publish", data={"seen": "0"}).status_code == 302
    late = client.post(f"/rosters/weeks/{week.id}/publish", data={"seen": "0"})
    assert late.status_code == 409
    assert db.session.scalar(db.select(db.func.count(RosterVersion.id))) == 1
    assert db.session.scalar(db.select(db.func.count(Assignment.id))) == 10  # the working roster is kept


def test_unique_version_number_guards_a_race(solved):
    week = solved["week"]
    db.session.add(RosterVersion(week_id=week.id, number=1, roster={"assignments": []}))
    db.session.flush()
    with pytest.raises(services.PublishConflict):
        # The coordinator saw no version (the row above arrived "at the same moment").
        services.publish(week, solved["admin"], seen_number=0)


def test_previous_version_feeds_the_next_solve(solved):
    week = solved["week"]
    services.publish(week, solved["admin"], seen_number=0)
    db.session.commit()
    problem = services.build_problem(week)
    assert len(problem["previous"]) == 10


def test_provider_staff_type_maps_to_contract(solved):
    coach = next(p for p in services.build_problem(solved["week"])["staff"] if p["name"] == "教练")
    assert coach["type"] == StaffType.PROVIDER.value


# --- Counts, pages, the inline runner ---------------------------------------------------------------


def test_enrolled_counts_come_from_approved_places(school_week):
    from app.enrolment.models import ApplicationStatus, Seat

    school, first = school_week["school"], school_week["classes"][0]
    offering = factories.create_offering(school)
    club = factories.create_activity(offering)
    students = [factories.create_student(first) for _ in range(3)]
    for student in students:
        db.session.add(Seat(activity_id=club.id, student_id=student.id))
    factories.create_application(students[0], offering, status=ApplicationStatus.APPROVED)
    factories.create_application(students[1], offering)  # only submitted: not counted
    db.session.add(SessionTemplate(school_id=school.id, series="足球", weekdays=[0], starts_at=time(16, 40),
                                   ends_at=time(17, 40), kind="after_school", activity="sports",
                                   activity_id=club.id, typed_enrolled=99, classes=[first]))
    db.session.flush()
    services.generate_sessions(school_week["week"])
    by_series = {s.series: s.enrolled for s in school_week["week"].sessions if s.on_date == MONDAY}
    assert by_series["足球"] == 1  # seat holders whose application is approved, not seats, not the typed number
    assert by_series["1班作业辅导"] == 1  # one approved application in class 1
    assert by_series["2班作业辅导"] == 0  # the offering runs and nobody in class 2 is approved: not the typed 25


def test_templates_and_settings_pages_save(school_week, client, login):
    login(school_week["admin"])
    response = client.post("/rosters/templates/new", data={
        "series": "阅读", "weekdays": [1, 3], "starts_at": "16:40", "ends_at": "17:40", "kind": "after_school",
        "activity": "reading", "classes": [school_week["classes"][1].id], "typed_enrolled": "40"})
    assert response.status_code == 302
    template = db.session.scalar(db.select(SessionTemplate).filter_by(series="阅读"))
    assert template.weekdays == [1, 3] and [c.id for c in template.classes] == [school_week["classes"][1].id]
    assert "阅读" in client.get(f"/rosters/templates/{template.id}/edit").get_data(as_text=True)
    response = client.post("/rosters/settings", data={
        "default_ratio": "15", "ratio_evening_study": "40", "subsidy_yuan_per_hour": "30",
        "rest_threshold_minutes": "120", "rest_earned_minutes": "60", "register_alert_minutes": "10",
        "pickup_grace_minutes": "30"})
    assert response.status_code == 302
    settings = services.settings_for(school_week["school"])
    assert (settings.default_ratio, settings.ratio_for("evening_study"), settings.subsidy_cents_per_hour) == (
        15, 40, 3000)
    assert (settings.register_alert_minutes, settings.pickup_grace_minutes) == (10, 30)


@pytest.mark.settings(ROSTER_JOB_RUNNER="inline")
def test_whatif_page_shows_the_result_without_saving(school_week, client, login):
    week = school_week["week"]
    services.generate_sessions(week)
    db.session.commit()
    login(school_week["admin"])
    response = client.post(f"/rosters/weeks/{week.id}/whatif", data={"volunteers": "1",
                                                                     "volunteer_skill": "supervision"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    job = db.session.scalar(db.select(RosterJob))
    assert job.status is RosterJobStatus.DONE and job.kind is RosterJobKind.WHATIF
    assert re.search(r"(Sessions staffed|已安排时段)：? ?:? ?10", page)
    assert db.session.scalar(db.select(db.func.count(Assignment.id))) == 0


def test_a_session_without_classes_is_refused_by_the_form(school_week, client, login):
    week = school_week["week"]
    login(school_week["admin"])
    response = client.post(f"/rosters/weeks/{week.id}/sessions/new", data={
        "series": "x", "on_date": "2026-11-23", "starts_at": "15:40", "ends_at": "17:40", "kind": "after_school",
        "activity": "supervision", "enrolled": "10", "staff_needed": "1"})
    assert response.status_code == 200
    assert db.session.scalar(db.select(db.func.count(PlannedSession.id))) == 0


def test_roster_page_shows_a_running_job_and_then_a_failed_one(school_week, client, login):
    week = school_week["week"]
    services.generate_sessions(week)
    job = jobs.enqueue(week, None, time_limit=TIME_LIMIT)
    job.problem = {"school": {}}  # not a valid problem
    db.session.commit()
    login(school_week["admin"])
    page = client.get(f"/rosters/weeks/{week.id}/roster").get_data(as_text=True)
    assert f"/rosters/jobs/{job.id}.json" in page and "roster-progress.js" in page
    jobs.run_queued()
    page = client.get(f"/rosters/weeks/{week.id}/roster").get_data(as_text=True)
    assert "roster-progress.js" not in page and "ProblemError" in page


def test_nobody_is_pinned_to_a_session_the_plan_rules_refuse(school_week):
    week = school_week["week"]
    lesson = PlannedSession(on_date=MONDAY, starts_at=time(15, 40), ends_at=time(17, 40), kind="after_school",
                            activity="new_lesson", series="新课", enrolled=10, staff_needed=1,
                            classes=[school_week["classes"][0]])
    week.sessions.append(lesson)
    db.session.flush()
    with pytest.raises(services.ChangeRefused) as refused:
        services.pin(week, lesson, school_week["teachers"][0].staff_profile)
    assert "NO_NEW_LESSONS" in refused.value.reasons[0]


# --- A job nobody runs; the engine's words in the user's language --------------------------------


@pytest.mark.settings(ROSTER_JOB_RUNNER="worker")
def test_a_job_waiting_without_a_worker_says_what_to_run(school_week, client, login):
    week = school_week["week"]
    services.generate_sessions(week)
    db.session.commit()
    login(school_week["admin"])
    client.post(f"/rosters/weeks/{week.id}/solve")
    job = db.session.scalar(db.select(RosterJob))
    page = client.get(f"/rosters/jobs/{job.id}").get_data(as_text=True)
    assert jobs.WORKER_COMMAND not in page  # just queued: nothing to say yet
    job.created_at = utcnow() - timedelta(seconds=jobs.QUEUED_WARNING_SECONDS + 5)
    db.session.commit()

    page = client.get(f"/rosters/jobs/{job.id}").get_data(as_text=True)
    assert "没有运行排班后台程序" in page and jobs.WORKER_COMMAND in page
    status = client.get(f"/rosters/jobs/{job.id}.json").get_json()
    assert status["status_label"] == "等待开始" and jobs.WORKER_COMMAND in status["warning"]

    jobs.beat("host:1234")  # a worker is alive (and busy): no warning
    assert client.get(f"/rosters/jobs/{job.id}.json").get_json()["warning"] is None
    assert jobs.WORKER_COMMAND not in client.get(f"/rosters/jobs/{job.id}").get_data(as_text=True)
    worker = db.session.scalar(db.select(RosterWorker))
    worker.seen_at = utcnow() - timedelta(seconds=jobs.WORKER_SILENT_SECONDS + 5)  # ... until it falls silent
    db.session.commit()
    assert jobs.WORKER_COMMAND in client.get(f"/rosters/jobs/{job.id}.json").get_json()["warning"]

    jobs.run_queued()
    status = client.get(f"/rosters/jobs/{job.id}.json").get_json()
    assert status["status_label"] == "已完成" and status["warning"] is None


def test_the_worker_says_it_is_alive_while_it_runs_and_not_after(school_week, runner, monkeypatch):
    seen = []

    def run_queued_then_stop(**_):
        seen.append(jobs.database_worker_alive())
        raise KeyboardInterrupt  # Ctrl-C

    monkeypatch.setattr(jobs, "run_queued", run_queued_then_stop)
    runner.invoke(args=["rosters", "worker"])
    assert seen == [True]
    assert not jobs.database_worker_alive() and db.session.scalar(db.select(RosterWorker)) is None


def test_unstaffed_sessions_are_explained_in_chinese_with_the_rule_code_small(school_week, client, login):
    week = school_week["week"]
    for teacher in school_week["teachers"]:  # nobody can serve on Monday
        db.session.add(StaffUnavailability(profile=teacher.staff_profile, on_date=MONDAY, starts_at=time(15, 0),
                                           ends_at=time(18, 0)))
    services.generate_sessions(week)
    db.session.commit()
    job = solve_now(week)
    [reason] = {u["reason"] for u in job.result["unstaffed"]}
    chinese, english = reason.split(" / ")
    login(school_week["admin"])
    page = client.get(f"/rosters/weeks/{week.id}/roster").get_data(as_text=True)
    assert chinese in page and english not in page
    assert '<small class="rule-code" translate="no">AVAILABILITY</small>' in page
    assert "已完成" in client.get(f"/rosters/jobs/{job.id}").get_data(as_text=True)
    client.post("/language", data={"locale": "en"})
    page = client.get(f"/rosters/weeks/{week.id}/roster").get_data(as_text=True)
    assert english in page and chinese not in page
