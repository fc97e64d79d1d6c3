"""One person, one timetable across schools: a coach offered to every school of the county."""

from datetime import time, timedelta

import pytest

from app.extensions import db
from app.models_base import local_today
from app.rosters import services
from app.rosters.models import Assignment, PlannedSession, RosterVersion, Week, staff_key
from tests import factories


@pytest.fixture
def two_schools(app):
    """Two schools of one county, a teacher each, one coach of a county provider with a weekly limit of 180 minutes;
    the first school has published the coach on Monday 15:40–17:40, the second has planned Monday 16:00–18:00 and
    Tuesday 15:40–17:40 and has not rostered anyone yet."""
    county = factories.create_county()
    first, second = factories.create_school(county, name="东城小学"), factories.create_school(county, name="西城小学")
    provider = factories.create_provider(county, categories=("sports",))
    coach = factories.create_provider_staff(provider, name="李教练")
    coach.staff_profile.max_weekly_minutes = 180
    monday = local_today() - timedelta(days=local_today().weekday())
    cast = {"coach": coach, "monday": monday}
    for key, school, plan in (("first", first, [(0, time(15, 40), time(17, 40))]),
                              ("second", second, [(0, time(16, 0), time(18, 0)), (1, time(15, 40), time(17, 40))])):
        factories.create_term(school, starts_on=monday - timedelta(days=60), ends_on=monday + timedelta(days=60))
        school_class = factories.create_class(school)
        teacher = factories.create_teacher(school, name=f"{school.name}老师")
        week = Week(school_id=school.id, monday=monday)
        db.session.add(week)
        for weekday, start, end in plan:
            db.session.add(PlannedSession(
                week=week, on_date=monday + timedelta(days=weekday), starts_at=start, ends_at=end,
                kind="after_school", activity="sports", series=f"{school.name}足球", enrolled=20, staff_needed=2,
                classes=[school_class]))
        cast[key] = {"school": school, "week": week, "teacher": teacher, "admin": factories.create_school_admin(school)}
    db.session.flush()
    for person in (coach.staff_profile, cast["first"]["teacher"].staff_profile):
        cast["first"]["week"].sessions[0].assignments.append(Assignment(profile_id=person.id))
    with app.test_request_context():
        services.publish(cast["first"]["week"], cast["first"]["admin"], seen_number=0)
    db.session.commit()
    return cast


def test_the_second_schools_problem_sees_the_coach_busy_at_the_first(two_schools, app):
    with app.test_request_context():
        problem = services.build_problem(two_schools["second"]["week"])
    coach = next(s for s in problem["staff"] if s["id"] == staff_key(two_schools["coach"].staff_profile.id))
    monday = two_schools["monday"].isoformat()
    assert {"date": monday, "start": "15:40", "end": "17:40"} in coach["unavailable"]
    assert coach["max_weekly_minutes"] == 60  # 180 of their own, 120 already given at the first school


def test_a_coach_whose_days_elsewhere_fill_their_days_limit_is_offered_only_those_days(two_schools, app):
    two_schools["coach"].staff_profile.max_days = 1
    db.session.commit()
    with app.test_request_context():
        problem = services.build_problem(two_schools["second"]["week"])
    coach = next(s for s in problem["staff"] if s["id"] == staff_key(two_schools["coach"].staff_profile.id))
    tuesday = (two_schools["monday"] + timedelta(days=1)).isoformat()
    assert {"date": tuesday, "start": "00:00", "end": "23:59"} in coach["unavailable"]
    assert not any(w["date"] == two_schools["monday"].isoformat() and w["start"] == "00:00"
                   for w in coach["unavailable"])


def test_publishing_a_clash_with_another_schools_roster_is_refused(two_schools, client, login):
    second, coach = two_schools["second"], two_schools["coach"]
    monday_session = next(s for s in second["week"].sessions if s.on_date == two_schools["monday"])
    for person in (coach.staff_profile, second["teacher"].staff_profile):
        monday_session.assignments.append(Assignment(profile_id=person.id))
    db.session.commit()
    login(second["admin"])
    page = client.post(f"/rosters/weeks/{second['week'].id}/publish", data={"seen": "0"},
                       follow_redirects=True).get_data(as_text=True)
    assert "李教练已在东城小学" in page and "15:40–17:40" in page
    assert db.session.scalar(db.select(RosterVersion).filter_by(week_id=second["week"].id)) is None


def test_my_week_lists_the_coachs_sessions_at_both_schools(two_schools, client, login):
    second, coach = two_schools["second"], two_schools["coach"]
    tuesday_session = next(s for s in second["week"].sessions if s.on_date != two_schools["monday"])
    for person in (coach.staff_profile, second["teacher"].staff_profile):
        tuesday_session.assignments.append(Assignment(profile_id=person.id))
    db.session.commit()
    with client.application.test_request_context():
        services.publish(second["week"], second["admin"], seen_number=0)
    db.session.commit()
    login(coach)
    page = client.get("/my-week").get_data(as_text=True)
    assert "东城小学" in page and "西城小学" in page
