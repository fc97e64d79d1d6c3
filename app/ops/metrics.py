"""Prometheus metrics at /metrics: request latency by endpoint and status, and the site's work read from the
database at scrape time (roster jobs by status, draws run, alerts raised, messages by status).

Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR (the Procfile and the systemd units do): each
worker writes its latency figures there and a scrape adds them up, whichever worker answers it
(deploy/gunicorn.conf.py clears the directory at start and drops a dead worker's figures).
"""

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from app.extensions import db

# Not registered anywhere at import: each scrape builds its registry (one app per test, several per process).
REQUEST_SECONDS = Histogram("kehou_request_seconds", "Time to answer a request, by endpoint and status.",
                            ["endpoint", "status"], registry=None)


_series: dict[tuple[str, int], object] = {}  # (endpoint, status) -> its histogram: labels() looked up once


def observe(endpoint: str, status: int, seconds: float) -> None:
    series = _series.get((endpoint, status))
    if series is None:
        series = _series[(endpoint, status)] = REQUEST_SECONDS.labels(endpoint, str(status))
    series.observe(seconds)


class DatabaseCollector:
    """Counts read from the database when Prometheus scrapes: the same answer from every web node."""

    def collect(self):
        from app.daily.models import Alert
        from app.enrolment.models import Lottery
        from app.notifications.models import Delivery, DeliveryStatus
        from app.rosters.models import RosterJob, RosterJobStatus

        jobs = GaugeMetricFamily("kehou_roster_jobs", "Roster jobs by status (queued, running, failed, done).",
                                 labels=["status"])
        by_status = dict(db.session.execute(select(RosterJob.status, func.count()).group_by(RosterJob.status)).all())
        for status in RosterJobStatus:
            jobs.add_metric([status.value], by_status.get(status, 0))
        yield jobs
        draws = CounterMetricFamily("kehou_draws", "Draws run (recorded lotteries).")
        draws.add_metric([], db.session.scalar(select(func.count(Lottery.id))))
        yield draws
        alerts = CounterMetricFamily("kehou_alerts", "School-day alerts raised (a child missing, not collected).")
        alerts.add_metric([], db.session.scalar(select(func.count(Alert.id))))
        yield alerts
        messages = GaugeMetricFamily("kehou_messages", "E-mail and SMS deliveries by status.", labels=["status"])
        by_status = dict(db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        for status in DeliveryStatus:
            messages.add_metric([status.value], by_status.get(status, 0))
        yield messages


def exposition() -> tuple[bytes, str]:
    """The text Prometheus reads, and its content type."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(DatabaseCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
