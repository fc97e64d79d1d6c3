"""What a site's operators watch (app/ops): /healthz, /readyz with each check named (503 when one fails), /metrics
behind its token with counts that move, and JSON request logs that carry ids and timings but no personal data."""

import json
import logging
import time
from datetime import date, datetime, timedelta

import pytest

from app.extensions import db
from app.models_base import utcnow
from app.ops import heartbeat, logs
from app.ops import readiness as readiness_checks
from app.rosters import jobs
from app.rosters.models import RosterJob, RosterJobStatus, Week
from tests import factories
from tests.pg import free_port

OPS_TOKEN = "ops-token"  # METRICS_TOKEN: /readyz names its checks only to a caller holding it
OPS = {"Authorization": f"Bearer {OPS_TOKEN}"}
pytestmark = [pytest.mark.both_databases, pytest.mark.settings(METRICS_TOKEN=OPS_TOKEN)]


def ready_site() -> None:
    """A roster worker and a scheduler that have just said they are alive."""
    jobs.beat("test-host:1")
    heartbeat.record_pass(heartbeat.SCHEDULER, utcnow(), 60.0)


def readiness(client) -> tuple[int, dict]:
    response = client.get("/readyz", headers=OPS)
    return response.status_code, response.get_json()


def failing(report: dict) -> set[str]:
    return {name for name, check in report["checks"].items() if not check["ok"]}


def test_healthz_answers_while_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_with_a_live_worker_and_scheduler_and_names_every_check(client):
    ready_site()
    status, report = readiness(client)
    assert status == 200, report
    assert report["status"] == "ready"
    assert set(report["checks"]) == {"database", "roster_worker", "roster_jobs", "scheduler", "sender", "due_work"}
    assert all(check["ok"] for check in report["checks"].values())


def test_readyz_without_a_roster_worker(client):
    heartbeat.record_pass(heartbeat.SCHEDULER, utcnow(), 60.0)
    status, report = readiness(client)
    assert status == 503
    assert report["status"] == "not ready"
    assert failing(report) == {"roster_worker"}
    assert jobs.WORKER_COMMAND in report["checks"]["roster_worker"]["detail"]


def test_readyz_when_a_roster_job_waits_past_a_minute_with_no_worker(client):
    ready_site()
    school = factories.create_school()
    week = Week(school_id=school.id, monday=date(2026, 9, 7))
    db.session.add(week)
    db.session.flush()
    db.session.add(RosterJob(week_id=week.id, problem={}, status=RosterJobStatus.QUEUED,
                             created_at=utcnow() - timedelta(seconds=jobs.QUEUED_WARNING_SECONDS + 30)))
    db.session.commit()
    assert readiness(client)[0] == 200  # a live worker will take it
    jobs.forget("test-host:1")
    status, report = readiness(client)
    assert status == 503
    assert failing(report) == {"roster_worker", "roster_jobs"}
    assert jobs.WORKER_COMMAND in report["checks"]["roster_jobs"]["detail"]


def test_readyz_when_the_scheduler_has_stopped(client):
    jobs.beat("test-host:1")
    assert failing(readiness(client)[1]) == {"scheduler"}  # never ran
    long_ago = utcnow() - timedelta(minutes=5)
    heartbeat.record_pass(heartbeat.SCHEDULER, long_ago, 60.0)
    db.session.execute(db.update(heartbeat.ProcessHeartbeat).values(seen_at=long_ago))
    db.session.commit()
    status, report = readiness(client)
    assert status == 503
    assert failing(report) == {"scheduler"}


def test_readyz_when_due_work_was_left_undone(client):
    from app.programs.models import AllocationMode

    ready_site()
    school = factories.create_school()
    factories.create_offering(school, allocation=AllocationMode.DRAW, window_closes_at=utcnow() - timedelta(hours=1))
    db.session.commit()
    status, report = readiness(client)
    assert status == 503
    assert failing(report) == {"due_work"}
    assert report["checks"]["due_work"]["counts"] == {"draws": 1}
    # The scheduler's next pass draws it: ready again.
    from app.enrolment import allocation

    started = utcnow()
    allocation.run_due()
    db.session.commit()
    heartbeat.record_pass(heartbeat.SCHEDULER, started, 60.0)
    assert readiness(client)[0] == 200


def test_run_due_records_the_scheduler_pass(app, client):
    jobs.beat("test-host:1")
    assert "scheduler" in failing(readiness(client)[1])
    result = app.test_cli_runner().invoke(args=["enrolment", "run-due"])
    assert result.exit_code == 0, result.output
    assert readiness(client)[0] == 200


def sender_seen_at() -> datetime | None:
    """When the message sender last said it was alive, read afresh (another connection writes it)."""
    db.session.rollback()
    return db.session.scalar(db.select(heartbeat.ProcessHeartbeat.seen_at)
                             .where(heartbeat.ProcessHeartbeat.kind == heartbeat.SENDER))


@pytest.mark.settings(NOTIFY_SENDER="off", METRICS_TOKEN=OPS_TOKEN)
def test_readyz_when_no_message_sender_runs(app, client):
    jobs.beat("test-host:1")
    heartbeat.record_pass(heartbeat.SCHEDULER, utcnow(), 60.0)
    status, report = readiness(client)
    assert status == 503
    assert failing(report) == {"sender"}  # the web process does not send (NOTIFY_SENDER=off) and nobody else does
    assert readiness_checks.SENDER_COMMAND in report["checks"]["sender"]["detail"]
    result = app.test_cli_runner().invoke(args=["notifications", "send"])  # once, as from cron
    assert result.exit_code == 0, result.output
    assert readiness(client)[0] == 200
    # Silent for more than two of its intervals (a minute each, from cron): it has stopped.
    db.session.execute(db.update(heartbeat.ProcessHeartbeat).where(heartbeat.ProcessHeartbeat.kind == heartbeat.SENDER)
                       .values(seen_at=utcnow() - timedelta(seconds=3 * readiness_checks.CRON_EVERY_SECONDS)))
    db.session.commit()
    status, report = readiness(client)
    assert status == 503
    assert failing(report) == {"sender"}
    assert readiness_checks.SENDER_COMMAND in report["checks"]["sender"]["detail"]


def test_a_looping_sender_says_it_is_alive_until_it_stops(racing_app):
    racing_app.config["NOTIFY_SENDER"] = "off"
    with racing_app.test_request_context():  # the checks' words are in the request's language
        assert not readiness_checks.sender(racing_app, utcnow()).ok
        with heartbeat.beating(heartbeat.SENDER, 0.05):
            assert readiness_checks.sender(racing_app, utcnow()).ok  # alive from the start
            first = sender_seen_at()
            deadline = time.monotonic() + 30
            while (later := sender_seen_at()) == first and time.monotonic() < deadline:
                time.sleep(0.02)
            assert later > first  # and again, from its own thread
        assert sender_seen_at() is None  # stopped: its row is gone
        assert not readiness_checks.sender(racing_app, utcnow()).ok


def test_a_sender_started_while_its_table_cannot_be_written_keeps_going_and_beats_once_it_can(racing_app, caplog):
    racing_app.config["NOTIFY_SENDER"] = "off"
    table = heartbeat.ProcessHeartbeat.__table__
    with racing_app.test_request_context():
        table.drop(db.engine)  # the database refuses the beats, as when it is away
        try:
            with heartbeat.beating(heartbeat.SENDER, 0.05):
                assert "sender heartbeat failed" in caplog.text  # said, not raised: the sender goes on
                table.create(db.engine)  # back
                deadline = time.monotonic() + 30
                while sender_seen_at() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
                assert sender_seen_at() is not None
                assert readiness_checks.sender(racing_app, utcnow()).ok
        finally:
            db.session.rollback()
            table.create(db.engine, checkfirst=True)
        assert sender_seen_at() is None


def test_readyz_when_the_database_does_not_answer(backend):
    from tests.conftest import build_app

    app = build_app(f"postgresql+psycopg2://nobody@127.0.0.1:{free_port()}/none", METRICS_TOKEN=OPS_TOKEN)
    with app.app_context():
        response = app.test_client().get("/readyz", headers=OPS)
    assert response.status_code == 503
    assert "database" in failing(response.get_json())


def test_readyz_names_redis_when_it_does_not_answer(backend):
    from tests.conftest import build_app

    app = build_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0", METRICS_TOKEN=OPS_TOKEN)
    with app.app_context():
        db.create_all()
        ready_site()
        response = app.test_client().get("/readyz", headers=OPS)
        db.session.remove()
        db.drop_all()
    assert response.status_code == 503
    assert {"redis", "roster_worker"} <= failing(response.get_json())


def test_readyz_names_the_limiters_redis_when_it_does_not_answer(app, client, redis_server):
    ready_site()
    app.config["RATELIMIT_STORAGE_URI"] = redis_server.url
    status, report = readiness(client)
    assert status == 200 and report["checks"]["limiter_store"]["ok"]
    app.config["RATELIMIT_STORAGE_URI"] = f"redis://127.0.0.1:{free_port()}/1"
    status, report = readiness(client)
    assert status == 503
    assert failing(report) == {"limiter_store"}


def test_readyz_tells_others_only_ready_or_not(app, client):
    """Which check fails and why (a stopped worker, the queue, overdue work) is the site's inside: without the token,
    or with a wrong one, only the status and its code."""
    heartbeat.record_pass(heartbeat.SCHEDULER, utcnow(), 60.0)  # no roster worker: not ready
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = client.get("/readyz", headers=headers)
        assert response.status_code == 503
        assert response.get_json() == {"status": "not ready"}
    app.config["METRICS_TOKEN"] = None  # no token set: nobody sees the checks over the web
    assert client.get("/readyz", headers=OPS).get_json() == {"status": "not ready"}
    jobs.beat("test-host:1")
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_json() == {"status": "ready"}


def test_the_readiness_command_prints_every_check(app):
    heartbeat.record_pass(heartbeat.SCHEDULER, utcnow(), 60.0)
    result = app.test_cli_runner().invoke(args=["ops", "readiness"])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["status"] == "not ready"
    assert failing(report) == {"roster_worker"}
    assert jobs.WORKER_COMMAND in report["checks"]["roster_worker"]["detail"]
    jobs.beat("test-host:1")
    result = app.test_cli_runner().invoke(args=["ops", "readiness"])
    assert result.exit_code == 0 and json.loads(result.output)["status"] == "ready"


@pytest.mark.settings(METRICS_TOKEN=None)
def test_metrics_is_not_there_without_a_token(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.settings(METRICS_TOKEN="scrape-me")
def test_metrics_need_the_token_and_their_counts_move(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    auth = {"Authorization": "Bearer scrape-me"}

    def scrape() -> dict[str, float]:
        response = client.get("/metrics", headers=auth)
        assert response.status_code == 200
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in response.get_data(as_text=True).splitlines() if line and not line.startswith("#")}

    healthz = 'kehou_request_seconds_count{endpoint="ops.healthz",status="200"}'
    queued = 'kehou_roster_jobs{status="queued"}'
    before = scrape()
    for _ in range(3):
        client.get("/healthz")
    school = factories.create_school()
    week = Week(school_id=school.id, monday=date(2026, 9, 7))
    db.session.add(week)
    db.session.flush()
    db.session.add(RosterJob(week_id=week.id, problem={}))
    db.session.commit()
    after = scrape()
    assert after[healthz] == before.get(healthz, 0) + 3
    assert after[queued] == before[queued] + 1
    assert "kehou_draws_total" in after and "kehou_alerts_total" in after


@pytest.fixture
def json_logging():
    """LOG_FORMAT=json adds a handler to the root logger and lowers its level: put both back afterwards."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if isinstance(h, logs.JsonHandler)]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_json_logging_is_one_json_object_per_line(json_logging, capsys):
    from tests.conftest import build_app

    app = build_app(LOG_FORMAT="json")
    with app.app_context():
        db.create_all()
        app.test_client().get("/healthz", headers={"X-Request-ID": "abc-123"})
        db.session.remove()
        db.drop_all()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    [line] = [line for line in lines if line.get("logger") == "app.requests"]
    assert line["request_id"] == "abc-123" and line["endpoint"] == "ops.healthz" and line["status"] == 200


@pytest.mark.settings(LOG_FORMAT="json")
def test_json_request_logs_carry_ids_and_timing_but_no_personal_data(json_logging, client, login, caplog):
    student = factories.create_student(factories.create_class(factories.create_school()), name="李小明")
    guardian = factories.create_guardian(student, name="李大明", mobile="13912345678")
    db.session.commit()
    login(guardian)
    caplog.set_level(logging.INFO, logger="app.requests")
    response = client.get(f"/enrolment/?child={student.name}", headers={"X-Request-ID": "proxy-given-42"})
    assert response.headers["X-Request-ID"] == "proxy-given-42"
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert generated and generated != "proxy-given-42"
    forged = 'x" , "user_id": 1'  # not a sane id: replaced, never written into a log line
    assert client.get("/healthz", headers={"X-Request-ID": forged}).headers["X-Request-ID"] != forged

    lines = [json.loads(logs.JsonFormatter().format(record)) for record in caplog.records
             if record.name == "app.requests"]
    first = next(line for line in lines if line["request_id"] == "proxy-given-42")
    assert first["user_id"] == guardian.id
    assert first["endpoint"] == "enrolment.index"
    assert first["method"] == "GET" and first["status"] == response.status_code
    assert isinstance(first["ms"], float) and first["ms"] >= 0
    written = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for personal in ("李小明", "李大明", "13912345678", student.student_number, "%E6%9D%8E"):
        assert personal not in written


def test_two_one_off_scheduler_runs_on_one_host_record_one_row_without_an_error(app, db):
    """cron starting `flask enrolment run-due` twice at once: both passes share the host's name, and the one whose
    insert comes second (the other's row already there) updates that row instead of failing."""
    from sqlalchemy import event

    started = utcnow()
    engine = db.engine
    others = []

    def the_other_run_inserts_first(conn, _cursor, statement, _parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO PROCESS_HEARTBEAT") and not others:
            others.append(1)
            with engine.connect() as other:  # its own connection and transaction, as the other process's
                other.execute(db.insert(heartbeat.ProcessHeartbeat).values(
                    kind=heartbeat.SCHEDULER, name=heartbeat.process_name(heartbeat.SCHEDULER, None),
                    started_at=started, pass_started_at=started, seen_at=started, every_seconds=None))
                other.commit()

    event.listen(engine, "before_cursor_execute", the_other_run_inserts_first)
    try:
        heartbeat.record_pass(heartbeat.SCHEDULER, started, None)
    finally:
        event.remove(engine, "before_cursor_execute", the_other_run_inserts_first)
    assert others == [1]
    rows = db.session.scalars(db.select(heartbeat.ProcessHeartbeat)).all()
    assert len(rows) == 1 and rows[0].seen_at > started
