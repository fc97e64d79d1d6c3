"""Matrix cases for "My week" (teachers, provider staff), the calendar feed, "I can't make it" and the exports."""

from datetime import timedelta

from tests.authz import EVERYONE, SCHOOL_ADMINS, Case

ADMIN = SCHOOL_ADMINS  # the principal and coordinators
STAFF_SELF = frozenset({"class_teacher", "teacher", "provider_staff"})


def _published_session(world, which):
    """Next week's session, published, with every staff role of the own school in it."""
    from app.models_base import local_today
    from tests.test_myweek import monday_of, publish_week

    users = world.users
    people = [users[role].staff_profile for role in ("teacher", "class_teacher", "provider_staff")]
    _, [session] = publish_week(world.own_school, monday_of(local_today()) + timedelta(days=7), [
        (0, "16:00", "17:00", "after_school", "sports", people, "101", [world.own_class])])
    return {"session_id": session.id}


def _session_of_school(world, which):
    """Next week's published session at the own or the other school, with that school's staff roles in it."""
    from app.models_base import local_today
    from tests.test_myweek import monday_of, publish_week

    school, users, school_class = ((world.own_school, world.users, world.own_class) if which == "own"
                                   else (world.other_school, world.other_users, world.other_class))
    people = [users[role].staff_profile for role in ("teacher", "class_teacher", "provider_staff")]
    _, [session] = publish_week(school, monday_of(local_today()) + timedelta(days=7), [
        (0, "16:00", "17:00", "after_school", "supervision", people, "101", [school_class])])
    return {"session_id": session.id}


def _absence(world, which):
    from app.extensions import db
    from app.models_base import local_today
    from app.rosters.absence import SessionAbsence
    from tests.test_myweek import monday_of, publish_week

    school, users, school_class = ((world.own_school, world.users, world.own_class) if which == "own"
                                   else (world.other_school, world.other_users, world.other_class))
    teacher = users["teacher"].staff_profile
    _, [session] = publish_week(school, monday_of(local_today()) + timedelta(days=7), [
        (0, "16:00", "17:00", "after_school", "supervision", [teacher], "101", [school_class])])
    absence = SessionAbsence(session_id=session.id, profile_id=teacher.id, school_id=school.id, reason="病假")
    db.session.add(absence)
    db.session.commit()
    return {"absence_id": absence.id}


def _absence_searched(world, which):
    """An absence whose replacement search was started (queued: nobody runs it here)."""
    from app.extensions import db
    from app.rosters.absence import SessionAbsence, start_search

    args = _absence(world, which)
    start_search(db.session.get(SessionAbsence, args["absence_id"]), None)
    db.session.commit()
    return args


def _replacement(world, which):
    from app.rosters.models import staff_key

    return {"staff": staff_key(world.users["class_teacher"].staff_profile.id)}


CASES = [
    Case("myweek.index", STAFF_SELF),
    Case("myweek.calendar_feed", EVERYONE,
         args=lambda world, which: {"token": world.users["teacher"].staff_profile.calendar_token}),
    Case("myweek.revoke_calendar", STAFF_SELF, method="POST", ok=302),
    Case("myweek.flag_absence", STAFF_SELF, method="POST", ok=302, args=_published_session,
         data=lambda world, which: {"reason": "临时开会"}),
    Case("myweek.withdraw_absence", STAFF_SELF, method="POST", ok=302, args=_published_session),
    Case("myweek.export_week", STAFF_SELF),
    # Health notes: only the staff the roster assigns to the session (everyone on the own one; no one on the other).
    Case("myweek.session_children", STAFF_SELF, scoped=True, args=_session_of_school),
    Case("myweek.absences", ADMIN),
    Case("myweek.absence_detail", ADMIN, scoped=True, args=_absence),
    Case("myweek.search_replacement", ADMIN, method="POST", ok=302, scoped=True, args=_absence),
    Case("myweek.search_status", ADMIN, scoped=True, args=_absence_searched),
    Case("myweek.replace_absent", ADMIN, method="POST", ok=302, scoped=True, args=_absence, data=_replacement),
    Case("myweek.print_roster", ADMIN),
    Case("myweek.export_roster", ADMIN),
    Case("myweek.export_workload", ADMIN),
]
