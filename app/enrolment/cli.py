"""`flask enrolment run-due`: draw every window that has closed and pass on every expired waiting-list offer, and
raise the school day's alerts the clock made due (a child not marked in time, a child not collected).

Pages that show an offering do the same for it as they open, so nothing waits for this command; it makes sure a
draw and an expired offer's next family are not left until somebody looks (run it from cron, or with --every).
"""

import logging
import time

import click
from flask.cli import AppGroup

from app.audit import retention
from app.complaints import services as complaints
from app.daily import alerts
from app.enrolment import allocation
from app.extensions import db
from app.models_base import local_today
from app.notifications.services import send_due
from app.ops import heartbeat
from app.surveys.services import send_due_opening_notices

logger = logging.getLogger(__name__)

cli = AppGroup("enrolment", help="Enrolment: draws at the close of application windows, waiting-list offers.")


@cli.command("run-due")
@click.option("--every", type=float, default=None, help="Keep running, looking again every this many seconds.")
def run_due_command(every: float | None) -> None:
    """Draw the closed windows and pass on the expired offers (once, or every N seconds)."""
    try:
        while True:
            # Recorded when done: readiness (/readyz) tells a stopped scheduler and undone work.
            with heartbeat.recorded_pass(heartbeat.SCHEDULER, every):
                allocation.run_due()
                retention.run_due(local_today())  # past terms' personal details, expired codes, old log rows
                alerts.check_due()  # children missing from a register or not collected: the family is told at once
                complaints.escalate_due(local_today())  # unanswered past their day: the county is told
                send_due_opening_notices(local_today())  # a quality survey opening today: its families and staff
                db.session.commit()
                send_due()  # e-mails and SMS due (a site without the sender process still gets them out)
            db.session.remove()
            if every is None:
                click.echo("Due draws, expired offers, data past retention, school-day alerts, overdue complaints and "
                           "due messages handled.")
                return
            time.sleep(every)
    finally:
        if every is not None:
            heartbeat.forget(heartbeat.SCHEDULER)
