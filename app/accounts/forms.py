"""Forms for logging in, registering and changing a password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from app.accounts.models import User
from app.extensions import db

MOBILE_PATTERN = r"^1[3-9]\d{9}$"
PASSWORD_MIN_LENGTH = 8


def mobile_field(label=None) -> StringField:
    """A mainland mobile number field (11 digits starting with 1)."""
    return StringField(
        label or _l("Mobile number"),
        validators=[
            DataRequired(message=_l("Please enter your mobile number.")),
            Regexp(MOBILE_PATTERN, message=_l("A mobile number is 11 digits starting with 1.")),
        ],
        filters=[lambda value: value.strip() if value else value],
        render_kw={"inputmode": "numeric", "autocomplete": "username", "maxlength": 11},
    )


def new_password_field(label) -> PasswordField:
    """A new password with the length rule."""
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Please choose a password.")),
            Length(min=PASSWORD_MIN_LENGTH, max=128,
                   message=_l("A password has between %(min)d and %(max)d characters.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(FlaskForm):
    mobile = mobile_field()
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Please enter your password."))],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me logged in on this device"))
    submit = SubmitField(_l("Log in"))


class RegisterForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(message=_l("Please enter your name.")),
        Length(max=50, message=_l("At most %(max)d characters.")),
    ], filters=[lambda value: value.strip() if value else value], render_kw={"autocomplete": "name"})
    mobile = mobile_field()
    password = new_password_field(_l("Password"))
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(message=_l("Please enter the password again.")),
        EqualTo("password", message=_l("The two passwords differ.")),
    ], render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Create account"))

    def validate_mobile(self, field) -> None:
        if db.session.scalar(db.select(User.id).filter_by(mobile=field.data)) is not None:
            raise ValidationError(_l("This mobile number already has an account. Log in, or reset the password."))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[
        DataRequired(message=_l("Please enter your current password."))
    ], render_kw={"autocomplete": "current-password"})
    password = new_password_field(_l("New password"))
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(message=_l("Please enter the password again.")),
        EqualTo("password", message=_l("The two passwords differ.")),
    ], render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_current(self, field) -> None:
        if not self.user.check_password(field.data):
            raise ValidationError(_l("The current password is not right."))


class LogoutForm(FlaskForm):
    """An empty form: logging out is a POST with a CSRF token."""

    submit = SubmitField(_l("Log out"))
