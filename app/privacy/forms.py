"""The deletion request's confirmation: the guardian re-enters the password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length


class DeleteForm(FlaskForm):
    understood = BooleanField(_l("I understand: my account closes and this cannot be undone"),
                              validators=[DataRequired(message=_l("Please confirm that you understand."))])
    password = PasswordField(_l("Your password"), validators=[DataRequired(message=_l("Please enter your password."))])
    submit = SubmitField(_l("Delete my account and my family's data"))


class AcceptNoticeForm(FlaskForm):
    submit = SubmitField(_l("I have read and accept the privacy notice"))


class PublishNoticeForm(FlaskForm):
    body = TextAreaField(_l("Text of the new version"),
                         validators=[DataRequired(message=_l("Please write the notice.")), Length(max=20000)])
    submit = SubmitField(_l("Publish as a new version"))
