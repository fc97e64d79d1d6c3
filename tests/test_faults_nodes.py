"""Two gunicorn nodes sharing only PostgreSQL and Redis behave as one site: a session made on one is valid on the
other, the login limiter counts on both together, the draw runs once however many nodes and schedulers see the
window close, and the last place is never given twice.

The benchmark's sign-up day seeded on PostgreSQL; nodes A and B serve it as in production (the same SECRET_KEY,
the limiter's store in Redis), each on its own port (tests/fault_site.py).
"""

import subprocess
import sys
import threading
from datetime import timedelta

import pytest

from app.extensions import db
from app.models_base import utcnow
from tests.conftest import build_app, dispose_engines
from tests.fault_site import ROOT, Guardian, applications_per_child, seed, serve, site_env
from tests.racing import run_together
from tests.serving import stop_group

pytestmark = pytest.mark.postgres

GUARDIANS = 40
MOBILE_LIMIT = 3  # wrong passwords per number an hour, on the whole site


@pytest.fixture(scope="module")
def site(postgres_server, redis_server, tmp_path_factory):
    from redis import Redis

    with Redis.from_url(redis_server.url) as connection:
        connection.flushdb()
    url = postgres_server.create_database("two_nodes")
    plan = seed(url, GUARDIANS)
    folder = tmp_path_factory.mktemp("nodes")
    extra = {"RATELIMIT_STORAGE_URI": redis_server.url, "LOGIN_MOBILE_RATE_LIMIT": f"{MOBILE_LIMIT} per hour"}
    node_a, base_a = serve(url, folder / "a.log", **extra)
    try:
        node_b, base_b = serve(url, folder / "b.log", **extra)
    except BaseException:
        stop_group(node_a)
        raise
    app = build_app(url)
    people = iter(plan["guardians"])
    try:
        yield {"url": url, "plan": plan, "nodes": (base_a, base_b), "app": app, "redis": redis_server.url,
               "next": lambda: Guardian(next(people), plan["offering_id"])}
    finally:
        stop_group(node_a)
        stop_group(node_b)
        with app.app_context():
            dispose_engines()
        postgres_server.drop_database("two_nodes")


def test_a_session_made_on_one_node_is_valid_on_the_other(site):
    a, b = site["nodes"]
    guardian = site["next"]()
    assert guardian.login(a).status == 302
    form = guardian.request(b, guardian.apply_path)
    assert form.status == 200 and guardian.person["student_name"] in form.text
    guardian.open_form(b)  # the CSRF token of B's page is good on A: one secret
    answer = guardian.apply(a)
    assert answer.status == 302 and answer.location.startswith("/enrolment/applications/")
    assert guardian.request(b, answer.location).status == 200


def test_the_login_limiter_counts_on_both_nodes_together(site):
    a, b = site["nodes"]
    guardian = site["next"]()
    tries = [guardian.login(node, password="wrong-guess").status for node in (a, b, a)]
    assert tries == [200] * MOBILE_LIMIT
    assert guardian.login(b, password="wrong-guess").status == 429  # B knows of A's two
    assert guardian.login(a).status == 429  # even the right password waits now


def test_one_draw_however_many_nodes_and_schedulers_see_the_window_close(site):
    from app.enrolment.models import Lottery, Seat
    from app.programs.models import Activity, AllocationMode, Offering

    a, b = site["nodes"]
    nodes = (a, b)
    guardians = [site["next"]() for _ in range(12)]
    for k, guardian in enumerate(guardians):
        node = nodes[k % 2]
        assert guardian.login(node).status == 302
        guardian.open_form(node)
        assert guardian.apply(node).status == 302
    offering_id = site["plan"]["offering_id"]
    with site["app"].app_context():
        offering = db.session.get(Offering, offering_id)
        offering.allocation = AllocationMode.DRAW
        offering.drawn_at = None
        offering.window_closes_at = utcnow() - timedelta(seconds=1)
        for activity in offering.activities:  # fewer places than children: the draw decides
            activity.capacity = activity.taken + 1
        db.session.commit()
        db.session.remove()

    env = site_env(site["url"], RATELIMIT_STORAGE_URI=site["redis"])
    statuses: list[int] = []
    lock = threading.Lock()

    def look(release, k: int) -> None:
        if k < 2:  # each node's scheduler: `flask enrolment run-due`
            release()
            result = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "enrolment", "run-due"],
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stdout + result.stderr
            return
        guardian = guardians[k - 2]
        path = f"/enrolment/apply/{guardian.person['student_id']}/{offering_id}"  # redirects to the application
        release()
        answer = guardian.request(nodes[k % 2], path)
        with lock:
            statuses.append(answer.status)

    errors = run_together(look, [(k,) for k in range(2 + len(guardians))])
    assert not errors, errors
    assert set(statuses) <= {200, 302}, statuses
    with site["app"].app_context():
        assert db.session.scalar(db.select(db.func.count(Lottery.id)).filter_by(offering_id=offering_id)) == 1
        for activity in db.session.scalars(db.select(Activity).filter_by(offering_id=offering_id)):
            seats = db.session.scalars(db.select(Seat.student_id).filter_by(activity_id=activity.id)).all()
            assert len(seats) == len(set(seats)) == activity.taken <= activity.capacity
        db.session.remove()


def test_the_last_place_is_given_once_when_both_nodes_take_it_at_once(site):
    from app.enrolment.models import ActivityChoice, ChoiceStatus, Seat
    from app.programs.models import Activity, AllocationMode, Offering

    a, b = site["nodes"]
    nodes = (a, b)
    offering_id = site["plan"]["offering_id"]
    with site["app"].app_context():
        # Nobody waits (an earlier test's draw may have left a queue, which would take the place first).
        db.session.execute(db.update(ActivityChoice).where(ActivityChoice.status == ChoiceStatus.WAITING)
                           .values(status=ChoiceStatus.DROPPED, wait_position=None))
        offering = db.session.get(Offering, offering_id)
        offering.allocation = AllocationMode.FIRST_COME
        offering.window_closes_at = None
        for activity in offering.activities:  # one place left in each
            activity.capacity = activity.taken + 1
        before = {activity.id: activity.taken for activity in offering.activities}
        db.session.commit()
        db.session.remove()
    guardians = [site["next"]() for _ in range(10)]
    for k, guardian in enumerate(guardians):
        assert guardian.login(nodes[k % 2]).status == 302
        guardian.open_form(nodes[k % 2])
        guardian.form.update(choice_2=0, choice_3=0)
    statuses: list[int] = []
    lock = threading.Lock()

    def apply(release, k: int) -> None:
        release()
        answer = guardians[k].apply(nodes[(k + 1) % 2])  # sent to the other node than the form came from
        with lock:
            statuses.append(answer.status)

    errors = run_together(apply, [(k,) for k in range(len(guardians))])
    assert not errors, errors
    assert statuses == [302] * len(guardians)
    stored = applications_per_child(site["url"], offering_id)
    assert all(len(stored[g.person["student_id"]]) == 1 for g in guardians)
    with site["app"].app_context():
        chosen = {int(g.form["choice_1"]) for g in guardians} - {0}
        assert chosen  # they compete for real places
        for activity in db.session.scalars(db.select(Activity).filter_by(offering_id=offering_id)):
            seats = db.session.scalars(db.select(Seat.student_id).filter_by(activity_id=activity.id)).all()
            assert len(seats) == len(set(seats)) == activity.taken <= activity.capacity
            assert activity.taken - before[activity.id] == (1 if activity.id in chosen else 0), activity.name
        db.session.remove()
