"""Liveness, readiness and metrics: for the proxy, the process manager and the monitoring, not for people."""

import hmac
import json
import sys

import click
from flask import Response, abort, current_app, request

from app.extensions import db, limiter
from app.ops import bp, metrics, readiness


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Liveness: this web process answers and reaches the database."""
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok"}


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """Readiness of the whole site: 200 when every check passes, 503 when one does not. Which check and why (worker,
    queue, scheduler, overdue work) only for a caller holding METRICS_TOKEN, as /metrics: they are the site's
    inside, not for whoever finds the address. On the server, `flask --app wsgi ops readiness` prints them too."""
    report = readiness.report(readiness.run_checks())
    token = current_app.config.get("METRICS_TOKEN")
    if not (token and _token_matches(token)):
        report = {"status": report["status"]}
    body = json.dumps(report, ensure_ascii=False, indent=1)  # read by people too: Chinese as Chinese
    return Response(body, 200 if report["status"] == "ready" else 503,
                    {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"})


@bp.cli.command("readiness")
def readiness_command():
    """Print /readyz's checks, each with its reason; exit 1 when one fails (for an operator on the server)."""
    with current_app.test_request_context():  # the reasons in the site's default language
        report = readiness.report(readiness.run_checks())
    click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    sys.exit(0 if report["status"] == "ready" else 1)


def _token_matches(token: str) -> bool:
    header = request.headers.get("Authorization", "")
    return hmac.compare_digest(header.encode(), f"Bearer {token}".encode())


@bp.route("/metrics")
@limiter.exempt
def metrics_page():
    """Prometheus metrics, for a scraper holding METRICS_TOKEN (sent as a bearer token); no token set, no page."""
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    if not _token_matches(token):
        return Response("metrics need the bearer token (METRICS_TOKEN)\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"', "Content-Type": "text/plain"})
    body, content_type = metrics.exposition()
    return Response(body, 200, {"Content-Type": content_type, "Cache-Control": "no-store"})
