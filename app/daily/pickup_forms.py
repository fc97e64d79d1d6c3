"""Forms of the pickup and incident pages: a collecting adult, an incident, a family's acknowledgement."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from app.accounts.forms import mobile_field
from app.daily.models import IncidentCategory
from app.forms_common import stripped


class PickupAdultForm(FlaskForm):
    """An adult the family allows to collect the child."""

    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please enter the name.")), Length(max=50)],
                       filters=[stripped])
    relation = StringField(_l("Relation to the child (e.g. grandmother)"),
                           validators=[DataRequired(message=_l("Please say who they are to the child.")),
                                       Length(max=20)], filters=[stripped])
    mobile = mobile_field()


class EmptyForm(FlaskForm):
    """A button that only needs the CSRF token (remove, new code, countersign)."""


CATEGORY_LABELS = {
    IncidentCategory.INJURY: _l("Injury"),
    IncidentCategory.ILLNESS: _l("Illness"),
    IncidentCategory.BEHAVIOUR: _l("Behaviour"),
    IncidentCategory.SAFEGUARDING: _l("Safeguarding"),
    IncidentCategory.OTHER: _l("Other"),
}


class IncidentForm(FlaskForm):
    """An incident recorded by the staff on a session; `children` are the session's expected children."""

    student_id = SelectField(_l("Child"), coerce=int, validators=[DataRequired(message=_l("Choose the child."))])
    category = SelectField(_l("What kind"),
                           choices=[SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()])
    occurred_at = TimeField(_l("Time (school time)"), validators=[DataRequired(message=_l("Enter the time."))])
    what_happened = TextAreaField(_l("What happened"), validators=[
        DataRequired(message=_l("Say what happened.")), Length(max=4000)], filters=[stripped])
    action_taken = TextAreaField(_l("What was done"), validators=[Length(max=4000)], filters=[stripped])
    internal_note = TextAreaField(_l("Internal note (the school only; the family does not see it)"),
                                  validators=[Length(max=4000)], filters=[stripped])

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.student_id.choices = [SelectChoice(0, "—")] + [SelectChoice(a.student_id, a.student.name)
                                                            for a in children]


class AcknowledgeForm(FlaskForm):
    """The family has read the incident record (a comment if they wish)."""

    comment = TextAreaField(_l("Your comment (optional)"), validators=[Optional(), Length(max=2000)],
                            filters=[stripped])
