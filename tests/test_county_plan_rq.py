"""A county plan through RQ and a real Redis: queued on the roster jobs' queue, run by a real `rq worker --burst`
that builds its own app from the environment (the same fixtures as tests/test_rosters_rq.py)."""

from sqlalchemy import select

from app.county.plan_models import CountyPlan
from app.extensions import db
from app.rosters.models import RosterJobStatus
from tests.test_county_plan import small_county
from tests.test_rosters_rq import app, database_file, run_rq_worker  # noqa: F401 (fixtures)


def test_a_plan_goes_to_redis_and_an_rq_worker_runs_it(app, redis_server, database_file, client, login,  # noqa: F811
                                                       monkeypatch):
    monkeypatch.setenv("COUNTY_PLAN_TIME_LIMIT", "2")  # read by the worker's own app (config.py)
    monkeypatch.setenv("COUNTY_PLAN_PROCESSES", "1")
    _county, officer, _schools = small_county()
    login(officer)
    assert client.post("/county/plans", data={"day": "2026-11-16"}).status_code == 302
    found = db.session.scalar(select(CountyPlan))
    assert found.status is RosterJobStatus.QUEUED  # on Redis, not run by the web process
    run_rq_worker(database_file, redis_server.url)
    db.session.expire_all()
    found = db.session.get(CountyPlan, found.id)
    assert found.status is RosterJobStatus.DONE, found.error
    assert {s["name"]: len(s["gaps"]) for s in found.result["schools"]} == {"城东小学": 1, "城西小学": 1, "城南小学": 1}
