"""The school-day peak benchmark's seed (benchmarks/daily_peak.py) builds what its figures claim: each staff member
runs one session today that expects exactly their children, by the app's own rules, and the pickup codes it hands
the virtual staff are the ones the site accepts today."""

from argparse import Namespace

from app.accounts.models import Role, User
from app.daily.access import runs_session, sessions_to_run
from app.daily.codes import matches
from app.daily.day import expected_on, last_sessions, sessions_on
from app.daily.models import PickupAdult
from app.extensions import db
from app.models_base import local_today
from app.rosters.expected import expected_children
from app.rosters.models import PlannedSession
from benchmarks.daily_peak import add_journeys, seed_daily_peak
from tests.factories import _password_hash

STAFF, CHILDREN, SCHOOLS = 5, 4, 2


def seed():
    plan = seed_daily_peak(schools=SCHOOLS, staff=STAFF, children=CHILDREN, password_hash=_password_hash(), seed=7)
    db.session.commit()
    return plan


def test_each_staff_member_runs_one_session_today_expecting_their_children(app):
    plan = seed()
    today = local_today()

    assert len(plan["staff"]) == STAFF and plan["day"] == today.isoformat()
    assert len({m["session_id"] for m in plan["staff"]}) == STAFF
    for member in plan["staff"]:
        user = db.session.get(User, member["user_id"])
        session = db.session.get(PlannedSession, member["session_id"])
        assert user.mobile == member["mobile"] and user.staff_profile is not None and user.is_active
        assert session.on_date == today
        assert runs_session(user, session)
        assert sessions_to_run(user, today) == [session]
        expected = expected_children(session)
        assert not expected.estimated and expected.count == CHILDREN
        assert {a.student_id for a in expected.children} == {c["student_id"] for c in member["children"]}
    # Staff of both kinds: class teachers, and a provider's staff member where a school has more than one session.
    roles = {db.session.get(User, m["user_id"]).role for m in plan["staff"]}
    assert roles == {Role.TEACHER, Role.PROVIDER_STAFF}


def test_half_the_children_have_an_adult_whose_code_the_site_accepts_today_and_hand_over_there(app):
    plan = seed()
    today = local_today()

    for member in plan["staff"]:
        with_code = [c for c in member["children"] if c["code"]]
        assert len(with_code) == CHILDREN // 2
        for child in with_code:
            adult = db.session.get(PickupAdult, child["adult_id"])
            assert adult.student_id == child["student_id"] and adult.removed_at is None
            assert matches(adult, today, child["code"])
        session = db.session.get(PlannedSession, member["session_id"])
        school_id = session.week.school_id
        last = last_sessions(sessions_on(school_id, today), expected_on(school_id, today))
        assert all(last[c["student_id"]].id == session.id for c in member["children"])


def test_the_journeys_tap_every_child_and_sign_out_those_with_a_code(app):
    plan = seed()
    args = Namespace(absent_share=0.5, concurrent_share=0.2, repeat_share=0.2, correct_share=0.5,
                     wrong_code_share=0.5)

    expected = add_journeys(plan, args)

    children = {f"{m['session_id']}:{c['student_id']}" for m in plan["staff"] for c in m["children"]}
    with_code = {f"{m['session_id']}:{c['student_id']}" for m in plan["staff"] for c in m["children"] if c["code"]}
    assert set(expected["marks"]) == children
    assert set(expected["signed_out"]) == with_code
    assert all(expected["marks"][key] in ("present", "late") for key in with_code)  # never absent, then collected
    # A repeated or double tap changes nothing: history rows = first taps + corrections to another status.
    corrections = sum(1 for m in plan["staff"] for _, _, kind in m["taps"] if kind == "correct")
    assert expected["changes"] == len(children) + corrections
    assert expected["taps"] > len(children)
