"""The inbox's and the message settings' forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectChoice, SubmitField
from wtforms.validators import Length, Optional, Regexp

from app.notifications.models import SmsChoice
from scheduling import policy


class MarkReadForm(FlaskForm):
    submit = SubmitField(_l("Mark all as read"))


class PreferencesForm(FlaskForm):
    email = EmailField(_l("E-mail address (optional)"), validators=[
        Optional(), Length(max=254),
        Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address like name@example.com."))])
    email_on = BooleanField(_l("Send my messages to this e-mail address too"), default=True)
    sms = RadioField(_l("SMS to my login number"), default=SmsChoice.URGENT.value, choices=[
        SelectChoice(SmsChoice.URGENT.value, _l("Only urgent messages (a missing child, an incident, a child not "
                                                "collected)")),
        SelectChoice(SmsChoice.ALL.value, _l("Every message"))])
    quiet_hours = BooleanField(_l("Quiet hours: keep routine messages from %(start)s until %(end)s",
                                  start=policy.QUIET_HOURS[0], end=policy.QUIET_HOURS[1]), default=True)
    submit = SubmitField(_l("Save"))
