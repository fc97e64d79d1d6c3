"""Redis unavailable (a real redis-server of the test's own, stopped): a roster job fails at once with a message the
coordinator reads, the week untouched; the login limiter counts in each process's memory meanwhile, says so in the
log, and still refuses a guessing run."""

import logging

import pytest

import config
from app.extensions import db, limiter
from app.rosters import services
from app.rosters.models import RosterJob, RosterJobStatus
from tests import factories, test_rosters
from tests.conftest import build_app, dispose_engines, empty_tables, unavailable
from tests.redis_server import RedisServer, RedisUnavailable

pytestmark = pytest.mark.postgres

QUEUE_DOWN_WORDS = "后台任务队列暂时没有响应"


@pytest.fixture
def own_redis():
    try:
        server = RedisServer()
    except RedisUnavailable as error:
        unavailable(str(error))
    server.start()
    yield server
    server.stop()


school_week = test_rosters.school_week


@pytest.fixture
def app(postgres_url, own_redis):
    own_redis.stop()  # Redis is down before anyone asks it anything
    app = build_app(postgres_url, ROSTER_TIME_LIMIT=test_rosters.TIME_LIMIT, REDIS_URL=own_redis.url)
    with app.app_context():
        empty_tables()
        with app.test_request_context():
            yield app
        db.session.remove()
        empty_tables()
        dispose_engines()


def test_a_roster_job_fails_at_once_with_a_message_when_redis_is_down(app, school_week, client, login, caplog):
    week = school_week["week"]
    services.generate_sessions(week)
    db.session.commit()
    login(school_week["admin"])

    with caplog.at_level(logging.ERROR, logger="app.rosters.jobs"):
        response = client.post(f"/rosters/weeks/{week.id}/solve")
    job = db.session.scalar(db.select(RosterJob))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/rosters/jobs/{job.id}")
    db.session.expire_all()
    assert job.status is RosterJobStatus.FAILED and job.error.startswith("QueueUnavailable")
    assert any("Redis at REDIS_URL does not answer" in r.getMessage() for r in caplog.records)
    page = client.get(f"/rosters/jobs/{job.id}").get_data(as_text=True)
    assert QUEUE_DOWN_WORDS in page and "QueueUnavailable" not in page
    assert not any(s.assignments for s in week.sessions) and week.solved_roster is None


def limited_app(url: str, redis_url: str):
    class RedisLimited(config.TestingConfig):
        RATELIMIT_ENABLED = True

        def __init__(self) -> None:
            super().__init__()
            self.SQLALCHEMY_DATABASE_URI = url
            self.RATELIMIT_STORAGE_URI = redis_url
            self.RATELIMIT_STORAGE_OPTIONS = config.limiter_storage_options(redis_url)
            self.LOGIN_RATE_LIMIT = "100 per hour"
            self.LOGIN_MOBILE_RATE_LIMIT = "3 per hour"

    from app import create_app

    return create_app(RedisLimited)


def test_the_login_limiter_counts_in_memory_while_redis_is_down_and_says_so(postgres_url, own_redis, caplog):
    app = limited_app(postgres_url, own_redis.url)
    try:
        with app.app_context():
            empty_tables()
            guardian = factories.create_guardian()
            db.session.commit()
            mobile = guardian.mobile
        client = app.test_client()

        def attempt() -> int:
            return client.post("/account/login", data={"mobile": mobile, "password": "wrong-guess"}).status_code

        assert [attempt(), attempt()] == [200, 200]  # counted in Redis
        from redis import Redis

        with Redis.from_url(own_redis.url) as connection:
            assert connection.keys("*"), "nothing counted in Redis"
        own_redis.stop()

        with caplog.at_level(logging.WARNING, logger="flask-limiter"):
            after = [attempt() for _ in range(4)]
        # Each process counts alone from the outage on: still refused after the limit, not a 500, not unlimited.
        assert after == [200, 200, 200, 429]
        assert any("falling back to in-memory storage" in r.getMessage() for r in caplog.records)
    finally:
        limiter._storage_dead = False  # the limiter object is shared by the apps of this test process
        with app.app_context():
            empty_tables()
            dispose_engines()
