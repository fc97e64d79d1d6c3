"""Forms for classes, students, school settings, the calendar, imports and binding a child."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectChoice, SelectField, StringField, SubmitField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from app.accounts.models import GuardianLink, Relationship, User
from app.extensions import db
from app.forms_common import stripped
from app.schools import services
from app.schools.models import BindingCode, HolidayKind, School, Student, Term, class_label
from scheduling.policy import SUMMER_TIMETABLE_STARTS, WINTER_TIMETABLE_STARTS


def text_field(label, max_length: int, *, required: bool = True, **kwargs) -> StringField:
    """A trimmed text field whose length matches its column."""
    validators = [Length(max=max_length, message=_l("At most %(max)d characters."))]
    if required:
        validators.insert(0, DataRequired(message=_l("Please fill this in.")))
    return StringField(label, validators=validators, filters=[stripped],
                       render_kw={"maxlength": max_length, **kwargs.pop("render_kw", {})}, **kwargs)


# Student numbers mix letters and digits (SY20260001): a text keyboard, capitals, no autocorrect or suggestions.
STUDENT_NUMBER_INPUT = {"inputmode": "text", "autocapitalize": "characters", "autocorrect": "off",
                        "spellcheck": "false", "autocomplete": "off"}


# --- Classes ---


class ClassForm(FlaskForm):
    grade = SelectField(_l("Grade"), coerce=int)
    number = IntegerField(_l("Class number"), validators=[
        InputRequired(message=_l("Please enter the class number.")),
        NumberRange(min=1, max=99, message=_l("A class number is between %(min)s and %(max)s.")),
    ], render_kw={"inputmode": "numeric", "min": 1, "max": 99})
    submit = SubmitField(_l("Add class"))

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.grade.choices = [SelectChoice(n, _l("Grade %(number)s", number=n)) for n in services.grades_for(school)]

    def validate_number(self, field) -> None:
        if self.grade.data and services.find_class(self.school, self.grade.data, field.data) is not None:
            raise ValidationError(_l("This class already exists."))


class ClassTeacherForm(FlaskForm):
    teacher = SelectField(_l("Class teacher"), coerce=int)
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, teachers: list[User], **kwargs):
        super().__init__(*args, **kwargs)
        self.teacher.choices = [SelectChoice(0, _l("(none)"))] + [SelectChoice(t.id, t.name) for t in teachers]


# --- Students ---


class StudentForm(FlaskForm):
    student_number = text_field(_l("Student number"), 30, render_kw=STUDENT_NUMBER_INPUT)
    name = text_field(_l("Name"), 50)
    class_id = SelectField(_l("Class"), coerce=int)
    guardian_mobiles = StringField(
        _l("Guardians' mobile numbers"), validators=[Length(max=200)],
        description=_l("One or more, separated by spaces or commas. A guardian who registers with one of these "
                       "numbers is confirmed at once when binding the child."),
        render_kw={"inputmode": "tel", "autocomplete": "off"})
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, school: School, student: Student | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.student = student
        self.class_id.choices = [SelectChoice(c.id, class_label(c)) for c in services.classes_of(school)]

    def validate_student_number(self, field) -> None:
        except_id = self.student.id if self.student else None
        if services.student_number_taken(self.school, field.data, except_id=except_id):
            raise ValidationError(_l("Another student of this school already has the number %(number)s.",
                                     number=field.data))

    def validate_guardian_mobiles(self, field) -> None:
        numbers, bad = services.split_guardian_mobiles(field.data)
        if bad:
            raise ValidationError(_l("Not a mobile number (11 digits starting with 1): %(value)s",
                                     value=" ".join(bad)))
        if len(numbers) > services.MAX_GUARDIAN_MOBILES:
            raise ValidationError(_l("At most %(count)d numbers.", count=services.MAX_GUARDIAN_MOBILES))
        self.mobiles = numbers


# --- Settings and calendar ---

MONTH_DAY = r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"


class SettingsForm(FlaskForm):
    name = text_field(_l("School name"), 100)
    address = text_field(_l("Address"), 200, required=False)
    work_end_winter = TimeField(_l("End of work, winter timetable"),
                                validators=[InputRequired(message=_l("Please enter a time."))])
    work_end_summer = TimeField(_l("End of work, summer timetable"),
                                validators=[InputRequired(message=_l("Please enter a time."))])
    summer_starts = text_field(_l("Summer timetable starts (MM-DD)"), 5,
                               render_kw={"placeholder": SUMMER_TIMETABLE_STARTS})
    winter_starts = text_field(_l("Winter timetable starts (MM-DD)"), 5,
                               render_kw={"placeholder": WINTER_TIMETABLE_STARTS})
    submit = SubmitField(_l("Save"))

    def validate_summer_starts(self, field) -> None:
        _check_month_day(field)

    def validate_winter_starts(self, field) -> None:
        _check_month_day(field)
        if self.summer_starts.data and field.data and field.data <= self.summer_starts.data:
            raise ValidationError(_l("The winter timetable starts after the summer one (e.g. 05-01 and 10-01)."))


def _check_month_day(field) -> None:
    if not re.match(MONTH_DAY, field.data or ""):
        raise ValidationError(_l("Write month and day as MM-DD, e.g. 05-01."))


class _DatesForm(FlaskForm):
    name = text_field(_l("Name"), 60)
    starts_on = DateField(_l("First day"), validators=[InputRequired(message=_l("Please enter a date."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(message=_l("Please enter a date."))])
    submit = SubmitField(_l("Save"))

    def validate_ends_on(self, field) -> None:
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot be before the first day."))


class TermForm(_DatesForm):
    def __init__(self, *args, school: School, term: Term | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        self.term = term

    def validate_ends_on(self, field) -> None:
        super().validate_ends_on(field)
        if not self.starts_on.data or not field.data:
            return
        clash = services.overlapping_term(self.school, self.starts_on.data, field.data,
                                          except_id=self.term.id if self.term else None)
        if clash is not None:
            raise ValidationError(_l("These dates overlap the term %(name)s (%(start)s – %(end)s).",
                                     name=clash.name, start=clash.starts_on, end=clash.ends_on))


HOLIDAY_KIND_LABELS = {
    HolidayKind.WINTER: _l("Winter vacation"),
    HolidayKind.SUMMER: _l("Summer vacation"),
    HolidayKind.PUBLIC: _l("Public holiday"),
}


class HolidayForm(_DatesForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k.value, label) for k, label in HOLIDAY_KIND_LABELS.items()],
                       validators=[DataRequired()])


# --- Import ---


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or Excel (.xlsx) file"),
                     validators=[FileRequired(message=_l("Please choose a file."))],
                     render_kw={"accept": ".csv,.xlsx"})
    submit = SubmitField(_l("Check the file"))


class ImportConfirmForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Import all rows"))


# --- Guardians ---

RELATIONSHIP_LABELS = {
    Relationship.FATHER: _l("Father"),
    Relationship.MOTHER: _l("Mother"),
    Relationship.GRANDPARENT: _l("Grandparent"),
    Relationship.OTHER: _l("Other guardian"),
}


class BindChildForm(FlaskForm):
    school_id = SelectField(_l("School"), coerce=int)
    student_number = text_field(_l("Student number"), 30, render_kw=STUDENT_NUMBER_INPUT)
    name = text_field(_l("Child's name"), 50, render_kw={"autocomplete": "off"})
    relationship = SelectField(_l("You are the child's"),
                               choices=[SelectChoice(r.value, label) for r, label in RELATIONSHIP_LABELS.items()])
    binding_code = StringField(
        _l("Binding code from the school (if you have one)"), validators=[Length(max=20)],
        description=_l("With the code the child is bound at once; without it the class teacher confirms."),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "autocorrect": "off",
                   "spellcheck": "false"})
    submit = SubmitField(_l("Bind this child"))

    def __init__(self, *args, guardian: User, schools: list[School], **kwargs):
        super().__init__(*args, **kwargs)
        self.guardian = guardian
        self.student: Student | None = None
        self.code: BindingCode | None = None
        self.school_id.choices = [SelectChoice(0, _l("Choose the school"))] + [
            SelectChoice(s.id, s.name, optgroup=s.county.name) for s in schools
        ]

    def validate_school_id(self, field) -> None:
        if not field.data:
            raise ValidationError(_l("Please choose the school."))

    def validate_name(self, field) -> None:
        # Number and name are checked together, with one message, so the form does not reveal which numbers exist.
        if not self.school_id.data or not self.student_number.data or not field.data:
            return
        student = services.find_student_for_binding(self.school_id.data, self.student_number.data, field.data)
        if student is None:
            raise ValidationError(_l("No child with this student number and name was found at this school. "
                                     "Check both with the class teacher."))
        duplicate = db.session.scalar(
            db.select(GuardianLink.id).filter_by(guardian_id=self.guardian.id, student_id=student.id))
        if duplicate is not None:
            raise ValidationError(_l("You have already bound this child."))
        self.student = student

    def validate_binding_code(self, field) -> None:
        if self.student is None or not services.normalise_binding_code(field.data):
            return
        self.code = services.open_binding_code(self.student, field.data)
        if self.code is None:
            raise ValidationError(_l("This binding code is not right for this child, was already used or has "
                                     "expired. Ask the class teacher for a new one, or leave it empty to wait for "
                                     "the class teacher."))
