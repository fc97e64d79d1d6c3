"""The development outbox: the SMS the site would have sent. Registered only in development and tests."""

from flask import abort, render_template

from app.messaging import bp, sms


@bp.route("/outbox")
def outbox():
    messages = sms.outbox()
    if messages is None:
        abort(404)
    return render_template("messaging/outbox.html", messages=messages)
