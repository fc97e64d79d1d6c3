"""Programs' codes in the user's words: the priority groups an offering may favour (forms and pages alike)."""

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from app.programs.models import PriorityGroup


def priority_group_choices() -> list[SelectChoice]:
    labels = {
        PriorityGroup.HARDSHIP: _l("Families in hardship"),
        PriorityGroup.LEFT_BEHIND: _l("Left-behind children"),
        PriorityGroup.LATE_WORKING: _l("Both guardians work late"),
    }
    return [SelectChoice(g.value, labels[g]) for g in PriorityGroup]
