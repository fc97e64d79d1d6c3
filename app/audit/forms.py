"""The school's retention period."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SubmitField
from wtforms.validators import InputRequired, NumberRange

MIN_RETENTION_DAYS = 30  # long enough for complaints and fee questions after an offering ends
MAX_RETENTION_DAYS = 3650


class RetentionForm(FlaskForm):
    days = IntegerField(_l("Days after an offering ends"), validators=[
        InputRequired(), NumberRange(min=MIN_RETENTION_DAYS, max=MAX_RETENTION_DAYS)])
    submit = SubmitField(_l("Save"))
