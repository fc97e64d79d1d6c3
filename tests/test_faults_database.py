"""PostgreSQL restarted while the served site takes sign-ups: a clean 503 page in Chinese with retry advice during
the outage, connections that recover by themselves afterwards (app.check_connections_before_use), and no application
lost or doubled.

A throwaway PostgreSQL of this module's own (tests/pg.py: stopped and started again on the same data and port), the
benchmark's sign-up day seeded on it, gunicorn serving the site as in production (tests/fault_site.py).
"""

import re
import threading
import time

import pytest

from tests.conftest import build_app, dispose_engines, unavailable
from tests.fault_site import Guardian, applications_per_child, seed, serve
from tests.pg import PostgresServer, PostgresUnavailable, free_port
from tests.serving import stop_group

pytestmark = pytest.mark.postgres

BEFORE, DURING, AFTER = 3, 1, 3  # guardians who apply before, during (one, checked by hand) and after the outage
RACING = 6  # guardians who keep sending their application while the database goes down and comes back
APPLICATION = re.compile(r"^/enrolment/applications/(\d+)$")
OUTAGE_WORDS = "请稍候"  # the 503 page's title: 网站暂时繁忙，请稍候


@pytest.fixture(scope="module")
def own_postgres():
    try:
        server = PostgresServer()
    except PostgresUnavailable as error:
        unavailable(str(error))
    server.start()
    yield server
    server.stop()


def test_a_database_that_does_not_answer_gives_a_503_page_with_retry_advice_in_chinese():
    """In-process, no server at all: every page that needs the database says so, in Chinese, with Retry-After."""
    app = build_app(f"postgresql+psycopg2://kehou@127.0.0.1:{free_port()}/nowhere")
    client = app.test_client()
    response = client.get("/programs/notice/offering/1/v1")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(app.config["DATABASE_RETRY_AFTER_SECONDS"])
    page = response.get_data(as_text=True)
    assert OUTAGE_WORDS in page and "30" in page and "Traceback" not in page
    response = client.post("/account/login", data={"mobile": "15000000001", "password": "x"})
    assert response.status_code == 503 and OUTAGE_WORDS in response.get_data(as_text=True)


def test_a_page_already_made_is_sent_though_the_database_goes_away_before_the_request_ends(own_postgres):
    """The server ends the request's connection after the page is made (a restart's timing): the page is sent, not a
    500 from rolling back on a dead connection at the end of the request."""
    import psycopg

    from app.extensions import db

    url = own_postgres.create_database("teardown")
    app = build_app(url)
    with app.app_context():
        db.create_all()

    @app.after_request
    def the_server_ends_every_connection(response):
        with psycopg.connect(host="127.0.0.1", port=own_postgres.port, user="kehou", dbname="postgres",
                             autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'teardown'")
            while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'teardown'").fetchone()[0]:
                time.sleep(0.05)
        return response

    client = app.test_client()
    assert client.get("/programs/notice/offering/1/v1").status_code == 404  # it asked the database
    assert client.get("/programs/notice/offering/1/v1").status_code == 404  # and the next request works too
    with app.app_context():
        dispose_engines()


def test_a_connection_the_server_closed_is_replaced_and_a_sound_one_is_used_without_a_round_trip(own_postgres):
    """The pool tests a connection only when in doubt: one the server ended (its goodbye makes the socket readable) is
    tested and replaced before the request uses it; one just returned with nothing to read is used as it is."""
    import psycopg

    from app.extensions import db

    url = own_postgres.create_database("doubt")
    app = build_app(url, DATABASE_PING_AFTER_IDLE_SECONDS=60)
    pings = []
    with app.app_context():
        engine = db.engine
        dialect_ping = engine.dialect.do_ping
        engine.dialect.do_ping = lambda connection: pings.append(1) or dialect_ping(connection)

        def backend() -> int:
            with engine.connect() as connection:
                return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()

        first = backend()
        assert backend() == first and pings == []  # returned a moment ago, nothing to read: no test
        with psycopg.connect(host="127.0.0.1", port=own_postgres.port, user="kehou", dbname="postgres",
                             autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (first,))
        time.sleep(0.2)  # the server's goodbye reaches the socket
        replaced = backend()  # no error: tested, found closed, replaced
        assert replaced != first and pings == [1]
        assert backend() == replaced and pings == [1]
        dispose_engines()


def test_postgresql_restarted_during_sign_up_loses_and_doubles_nothing(own_postgres, tmp_path):
    url = own_postgres.create_database("outage")
    plan = seed(url, BEFORE + DURING + RACING + AFTER)
    guardians = [Guardian(person, plan["offering_id"]) for person in plan["guardians"]]
    before, during = guardians[:BEFORE], guardians[BEFORE]
    racing, after = guardians[BEFORE + DURING:BEFORE + DURING + RACING], guardians[BEFORE + DURING + RACING:]
    server, base = serve(url, tmp_path / "gunicorn.log")
    told_success: dict[int, int] = {}  # student id -> application id the guardian was shown
    statuses: list[int] = []
    lock = threading.Lock()
    try:
        for guardian in guardians:
            assert guardian.login(base).status == 302
            guardian.open_form(base)
        for guardian in before:
            answer = guardian.apply(base)
            assert answer.status == 302 and APPLICATION.match(answer.location), answer
            told_success[guardian.person["student_id"]] = int(APPLICATION.match(answer.location).group(1))

        stop = threading.Event()
        last: dict[int, int] = {}

        def keep_sending(guardian: Guardian, delay: float) -> None:
            """A guardian who sends the application (again, when told to wait), then keeps reading its page."""
            stop.wait(delay)
            applied = None
            while not stop.is_set():
                answer = guardian.request(base, applied) if applied else guardian.apply(base)
                with lock:
                    statuses.append(answer.status)
                    last[guardian.person["student_id"]] = answer.status
                    if not applied and answer.status == 302 and APPLICATION.match(answer.location):
                        applied = answer.location
                        told_success[guardian.person["student_id"]] = int(APPLICATION.match(applied)[1])
                stop.wait(0.2)

        threads = [threading.Thread(target=keep_sending, args=(g, 0.2 * k)) for k, g in enumerate(racing)]
        for thread in threads:
            thread.start()
        time.sleep(0.3)  # the first of them sent before the database goes, the others during the outage
        own_postgres.stop_server("fast")

        outage = during.apply(base)
        assert outage.status == 503, (outage.status, outage.text[:300])
        assert OUTAGE_WORDS in outage.text and "再" in outage.text and outage.headers.get("Retry-After") == "30"
        assert during.request(base, plan["notice_path"]).status == 503

        own_postgres.start_server()
        # The pool drops the connections the restart killed by itself: the next requests simply work.
        for _ in range(4):
            assert during.request(base, plan["notice_path"]).status == 200
        answer = during.apply(base)  # the same form sent again, as the 503 page advises
        assert answer.status == 302 and APPLICATION.match(answer.location), answer
        told_success[during.person["student_id"]] = int(APPLICATION.match(answer.location).group(1))
        assert during.request(base, answer.location).status == 200

        # Every racing guardian has applied and read the application since the restart.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (
                all(g.person["student_id"] in told_success for g in racing) and set(last.values()) == {200}):
            time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        for guardian in after:
            answer = guardian.apply(base)
            assert answer.status == 302 and APPLICATION.match(answer.location), answer
            told_success[guardian.person["student_id"]] = int(APPLICATION.match(answer.location).group(1))
        # Sending an application again once it is taken shows the one there is.
        again = racing[0].apply(base)
        first = told_success[racing[0].person["student_id"]]
        assert again.status == 302 and again.location == f"/enrolment/applications/{first}"
    finally:
        try:
            own_postgres.start_server()  # if an assertion came during the outage
        except RuntimeError:
            pass  # it was running
        stop_group(server)

    # Requests ran through the outage: answered 503 then, never a 500, and all answered again once it was over.
    assert 503 in statuses and set(statuses) <= {200, 302, 503}, statuses
    assert set(last.values()) == {200}, last
    assert len(told_success) == len(guardians)
    stored = applications_per_child(url, plan["offering_id"])
    assert {student: ids for student, ids in stored.items() if len(ids) > 1} == {}  # no child twice
    assert {student: ids[0] for student, ids in stored.items()} == told_success  # every success stored, none else
