"""Who sends the deliveries, by NOTIFY_SENDER:

- ``"off"`` (production default): not the web process; ``flask notifications send --loop`` (one process per site,
  beside the web workers) sends what is due every NOTIFY_POLL_SECONDS. ``flask enrolment run-due`` sends once too.
- ``"thread"`` (``./scripts/run.sh``, development): a background thread of the web process, started by its first
  request, sends what is due every NOTIFY_POLL_SECONDS and at once after a request that wrote a message commits.
- ``"inline"`` (tests): right after the request that wrote a message has committed, in that request.

A request that fails (its work rolled back) sends nothing: its messages never existed.
"""

import logging
import threading
import time as time_module

import click
from flask import Flask, current_app, g, has_app_context
from flask.cli import AppGroup

from app.extensions import db
from app.ops import heartbeat

logger = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 30.0

cli = AppGroup("notifications", help="Messages to people: send the e-mails and SMS that are due.")


def mode(app: Flask) -> str:
    """How this app sends: 'off', 'thread' or 'inline' (NOTIFY_SENDER, else thread in debug, otherwise off)."""
    return app.config.get("NOTIFY_SENDER") or ("thread" if app.debug and not app.testing else "off")


class SenderThread:
    """The web process's sender: one daemon thread, woken by `wake()` or every poll interval."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wakeup = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True, name="notification-sender")

    def start(self) -> None:
        self.thread.start()

    def wake(self) -> None:
        self.wakeup.set()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.wakeup.set()
        self.thread.join(timeout)

    def run(self) -> None:
        poll = float(self.app.config.get("NOTIFY_POLL_SECONDS") or DEFAULT_POLL_SECONDS)
        while not self.stopping.is_set():
            self.wakeup.clear()
            send_in_app(self.app)
            self.wakeup.wait(poll)


def send_in_app(app: Flask) -> int:
    """One round of sending in a fresh app context; a fault is logged, never raised (the sender keeps going)."""
    from app.notifications.services import send_due

    with app.app_context():
        try:
            return send_due()
        except Exception:
            logger.exception("sending notifications failed")
            db.session.rollback()
            return 0
        finally:
            db.session.remove()


def _mark_committed(session) -> None:
    """After a commit: if the request wrote messages (notify set the flag), they now exist and may be sent."""
    if has_app_context() and g.get("notifications_to_send"):
        g.notifications_committed = True


def init_app(app: Flask) -> None:
    """Hook the sender into the app as NOTIFY_SENDER says."""
    from sqlalchemy import event

    chosen = mode(app)
    if chosen == "off":
        return
    state = {"thread": None, "lock": threading.Lock()}

    def sender() -> SenderThread:
        with state["lock"]:
            if state["thread"] is None:
                state["thread"] = SenderThread(app)
                state["thread"].start()
                app.extensions["notification_sender"] = state["thread"]
        return state["thread"]

    if chosen == "thread":
        @app.before_request
        def start_sender() -> None:
            if state["thread"] is None:
                sender()

    if not event.contains(db.session, "after_commit", _mark_committed):
        event.listen(db.session, "after_commit", _mark_committed)

    @app.after_request
    def send_after_commit(response):
        if not g.pop("notifications_committed", False):
            return response
        g.pop("notifications_to_send", None)
        if chosen == "thread":
            sender().wake()
        else:
            from app.notifications.services import send_due

            try:
                send_due()
            except Exception:
                logger.exception("sending notifications after the request failed")
                db.session.rollback()
        return response


@cli.command("send")
@click.option("--loop", is_flag=True, help="Keep sending, every NOTIFY_POLL_SECONDS, until stopped.")
def send_command(loop: bool) -> None:
    """Send the e-mails and SMS that are due (once, or in a loop: the sender process of a site)."""
    app = current_app._get_current_object()
    poll = float(app.config.get("NOTIFY_POLL_SECONDS") or DEFAULT_POLL_SECONDS)
    if not loop:  # from cron: its last round is what readiness (/readyz) sees
        with heartbeat.recorded_pass(heartbeat.SENDER, None):
            sent = send_in_app(app)
        click.echo(f"{sent} message(s) sent.")
        return
    with heartbeat.beating(heartbeat.SENDER, poll):  # readiness (/readyz) tells a sender that has stopped
        while True:
            send_in_app(app)
            time_module.sleep(poll)
