"""My week's forms: "I can't make it" and the coordinator's choice of who steps in."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length

from app.forms_common import stripped


class AbsenceForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[
        DataRequired(message=_l("Please give a reason.")), Length(max=200, message=_l("At most %(max)d characters."))],
        filters=[stripped])


class ReplaceForm(FlaskForm):
    staff = HiddenField(validators=[DataRequired()])
