"""Suspension and exit take effect: a provider that may not work (Provider.is_vetted_on) loses its staff's logins,
feeds and coming sessions; no roster with them is published; they are never offered as replacements."""

from datetime import date, timedelta

import pytest

from app.extensions import db
from app.models_base import local_today
from app.notifications.models import Notification
from app.providers import services as provider_services
from app.providers.models import ReasonCategory
from app.rosters.absence import SessionAbsence
from app.rosters.models import Assignment, RosterVersion, staff_key
from tests import factories
from tests.test_myweek import monday_of, publish_week


@pytest.fixture(autouse=True)
def english(client):
    client.post("/language", data={"locale": "en"})


def _week_with_provider(world, monday: date):
    """A published week with the own school's teacher and the provider's staff in two sessions."""
    teacher, coach = world.users["teacher"].staff_profile, world.users["provider_staff"].staff_profile
    return publish_week(world.own_school, monday, [
        (0, "15:40", "16:40", "after_school", "sports", [teacher, coach], "操场", [world.own_class]),
        (2, "15:40", "16:40", "after_school", "sports", [coach], "操场", [world.own_class]),
    ])


def _suspend(world):
    provider = world.users["provider_staff"].provider
    provider_services.suspend(provider, ReasonCategory.SAFETY, "安全检查不合格", world.users["county_officer"])
    db.session.commit()
    return provider


def test_suspension_ends_the_feed_and_the_session_pages(client, world, login):
    coach = world.users["provider_staff"]
    week, [session, _] = _week_with_provider(world, monday_of(local_today()) + timedelta(days=7))
    feed = f"/calendar/{coach.staff_profile.calendar_token}.ics"
    login(coach)
    assert client.get(feed).status_code == 200
    assert client.get(f"/my-week/sessions/{session.id}/children").status_code == 200
    _suspend(world)
    assert client.get(feed).status_code == 404
    response = client.get(f"/my-week/sessions/{session.id}/children")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_suspension_removes_coming_assignments_and_asks_coordinators_to_replan(client, world, login):
    coach = world.users["provider_staff"]
    past_week, _past_sessions = _week_with_provider(world, monday_of(local_today()) - timedelta(days=14))
    week, [first, _second] = _week_with_provider(world, monday_of(local_today()) + timedelta(days=7))
    _suspend(world)
    remaining = set(db.session.scalars(db.select(Assignment.session_id).filter_by(profile_id=coach.staff_profile.id)))
    assert remaining == {s.id for s in past_week.sessions}  # what was served stays on record
    assert {a.profile_id for a in first.assignments} == {world.users["teacher"].staff_profile.id}
    for admin in (world.users["school_admin"], world.users["coordinator"]):
        [note] = db.session.scalars(db.select(Notification).filter_by(user_id=admin.id)).all()
        assert coach.provider.name in note.subject and note.link == f"/rosters/weeks/{week.id}/roster"
        assert coach.name in note.body and first.on_date.isoformat() in note.body
    # The week shows the gap: the coach's sessions are short of people in the working roster.
    login(world.users["coordinator"])
    page = client.get(f"/rosters/weeks/{week.id}/roster").get_data(as_text=True)
    assert coach.name not in page.split("<main", 1)[1]


def test_a_roster_with_a_provider_that_may_not_work_is_not_published(client, world, login):
    coach = world.users["provider_staff"]
    week, _sessions = _week_with_provider(world, monday_of(local_today()) + timedelta(days=7))
    coach.provider.vetted_until = local_today() - timedelta(days=1)  # vetting lapsed: nobody suspended anything
    db.session.commit()
    login(world.users["coordinator"])
    response = client.post(f"/rosters/weeks/{week.id}/publish", data={"seen": "1"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"{coach.name} may not work on" in page and "the provider is not vetted for that date" in page
    assert db.session.scalar(db.select(db.func.count(RosterVersion.id)).filter_by(week_id=week.id)) == 1


def _absence(world, session, person, reason: str) -> SessionAbsence:
    """`person` says they can't make `session` (committed, as the page would have it)."""
    flag = SessionAbsence(session_id=session.id, profile_id=person.staff_profile.id, school_id=world.own_school.id,
                          reason=reason)
    db.session.add(flag)
    db.session.commit()
    return flag


def test_absence_page_after_a_suspension_works_and_offers_no_suspended_staff(client, world, login):
    teacher = world.users["teacher"]
    other_provider_coach = world.users["provider_staff"]
    week, [session, _] = _week_with_provider(world, monday_of(local_today()) + timedelta(days=7))
    flag = _absence(world, session, teacher, "培训")
    _suspend(world)
    login(world.users["coordinator"])
    response = client.get(f"/absences/{flag.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'value="{staff_key(other_provider_coach.staff_profile.id)}"' not in page
    # Forcing the suspended provider's staff in by hand is refused in words.
    page = client.post(f"/absences/{flag.id}/replace", data={"staff": staff_key(other_provider_coach.staff_profile.id)},
                       follow_redirects=True).get_data(as_text=True)
    assert "may not work on that date" in page
    assert other_provider_coach.staff_profile.id not in set(db.session.scalars(
        db.select(Assignment.profile_id).filter_by(session_id=session.id)))


def test_expired_provider_staff_are_never_offered_as_replacements(client, world, login):
    teacher = world.users["teacher"]
    lapsed = factories.create_provider(world.county, vetted_until=local_today() - timedelta(days=1),
                                       categories=("supervision",))
    lapsed_coach = factories.create_provider_staff(lapsed)
    week, [session, _] = _week_with_provider(world, monday_of(local_today()) + timedelta(days=7))
    flag = _absence(world, session, teacher, "培训")
    login(world.users["coordinator"])
    page = client.get(f"/absences/{flag.id}").get_data(as_text=True)
    assert f'value="{staff_key(lapsed_coach.staff_profile.id)}"' not in page
    client.post(f"/absences/{flag.id}/replace", data={"staff": staff_key(lapsed_coach.staff_profile.id)})
    assert lapsed_coach.staff_profile.id not in {a.profile_id for a in db.session.scalars(
        db.select(Assignment).filter_by(session_id=session.id))}


def test_absence_flagged_by_staff_later_suspended_still_opens(client, world, login):
    coach = world.users["provider_staff"]
    week, [session, _] = _week_with_provider(world, monday_of(local_today()) + timedelta(days=7))
    flag = _absence(world, session, coach, "比赛")
    _suspend(world)
    login(world.users["coordinator"])
    assert client.get(f"/absences/{flag.id}").status_code == 200
    client.post(f"/absences/{flag.id}/search")  # the engine's re-plan: a roster job, run by the runner
    from app.rosters import jobs

    assert jobs.run_queued() == 1
    assert client.get(f"/absences/{flag.id}/search.json").get_json()["status"] == "done"
    assert client.get(f"/absences/{flag.id}").status_code == 200
