"""The inbox (every logged-in person's messages) and the message settings (where else they go)."""

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.models_base import utcnow
from app.notifications import bp, services
from app.notifications.forms import MarkReadForm, PreferencesForm
from app.notifications.models import Notification, SmsChoice

INBOX_SIZE = 200  # newest messages shown


@bp.app_template_global()
def unread_count() -> int:
    """How many of the logged-in person's messages are unread (the badge in the menu)."""
    if not current_user.is_authenticated:
        return 0
    if "unread_count" not in g:  # the menu shows it twice: counted once a request
        g.unread_count = db.session.scalar(db.select(db.func.count(Notification.id)).filter(
            Notification.user_id == current_user.id, Notification.read_at.is_(None))) or 0
    return g.unread_count


bp.add_app_template_global(services.delivery_status, "delivery_status")


@bp.route("")
@login_required
def inbox():
    """The person's messages, newest first."""
    notes = db.session.scalars(db.select(Notification).filter_by(user_id=current_user.id)
                               .order_by(Notification.id.desc()).limit(INBOX_SIZE)).all()
    return render_template("notifications/inbox.html", notes=notes, form=MarkReadForm())


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():
    """Mark every message read."""
    if MarkReadForm().validate_on_submit():
        db.session.execute(db.update(Notification).filter(
            Notification.user_id == current_user.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
        db.session.commit()
    return redirect(url_for("notifications.inbox"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    """我的通知设置: an e-mail address, SMS for alerts or for everything, quiet hours."""
    choice = services.preferences(current_user)
    form = PreferencesForm(data={"email": choice.email or "", "email_on": choice.email_on,
                                 "sms": choice.sms.value, "quiet_hours": choice.quiet_hours})
    if form.validate_on_submit():
        services.save_preferences(current_user, email=form.email.data, email_on=form.email_on.data,
                                  sms=SmsChoice(form.sms.data), quiet_hours=form.quiet_hours.data)
        db.session.commit()
        flash(_("Your message settings are saved."), "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, mobile=current_user.mobile)
