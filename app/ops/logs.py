"""Per-request logs and request ids.

Every request gets an id: the proxy's X-Request-ID when it sends a sane one, otherwise a new one; the answer carries
it back in X-Request-ID. With LOG_FORMAT=json every log line is one JSON object, and each request adds one line:
request id, user id, endpoint, method, status and milliseconds. Never a path, a query string or a form: those can
hold names, mobile numbers and children's ids.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request
from sqlalchemy import inspect as sa_inspect

from app.ops import metrics

request_logger = logging.getLogger("app.requests")

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
REQUEST_FIELDS = ("request_id", "user_id", "endpoint", "method", "status", "ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, and a request's fields when it has them."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        line.update({name: getattr(record, name) for name in REQUEST_FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class JsonHandler(logging.StreamHandler):
    """The root logger's JSON handler (its own class, so building the app twice does not add a second one)."""


def configure(app: Flask) -> None:
    """LOG_FORMAT=json: every record of this process as a JSON line on stderr, from INFO up."""
    if app.config.get("LOG_FORMAT") != "json":
        return
    root = logging.getLogger()
    if not any(isinstance(handler, JsonHandler) for handler in root.handlers):
        handler = JsonHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def request_id() -> str:
    """This request's id (made on first use)."""
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


def register(app: Flask) -> None:
    """Time every request, give it an id, count it in the metrics and log it."""
    configure(app)

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        request_id()

    @app.after_request
    def finish_request(response):
        started = g.pop("request_started", None)
        seconds = time.perf_counter() - started if started is not None else 0.0
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        response.headers[REQUEST_ID_HEADER] = request_id()
        metrics.observe(endpoint, response.status_code, seconds)
        if request_logger.isEnabledFor(logging.INFO):  # else no line: nothing built, no account asked
            request_logger.info("%s %s %s", request.method, endpoint, response.status_code, extra={
                "request_id": request_id(), "user_id": logged_in_user_id(), "endpoint": endpoint,
                "method": request.method, "status": response.status_code, "ms": round(seconds * 1000, 1)})
        return response


def logged_in_user_id() -> int | None:
    """The logged-in account's id, without asking the account: the request's commit may have expired it, and
    reloading it would cost a statement. Nobody when no account was loaded for this request (an anonymous one, or a
    session that ended: Flask-Login keeps the anonymous user then)."""
    user = g.get("_login_user")
    state = sa_inspect(user, raiseerr=False) if user is not None else None
    if state is None or state.identity is None:
        return None
    return state.identity[0]
