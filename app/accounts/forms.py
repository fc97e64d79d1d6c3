"""Forms for logging in, registering and changing a password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from app.accounts import password_policy
from app.accounts.models import User
from app.forms_common import stripped

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
        filters=[stripped],
        render_kw={"inputmode": "numeric", "autocomplete": "username", "maxlength": 11},
    )


def not_guessable(form, field) -> None:
    """Refuse common and breached-pattern passwords (app/accounts/password_policy.py), and the account's number."""
    mobile_field = getattr(form, "mobile", None)
    account = getattr(form, "user", None)
    mobile = (mobile_field.data if mobile_field is not None
              else getattr(form, "account_mobile", None) or getattr(account, "mobile", None))
    reason = password_policy.weakness(field.data or "", mobile=mobile)
    if reason:
        raise ValidationError(reason)


def new_password_field(label) -> PasswordField:
    """A new password with the length rule, not one of the easily guessed."""
    return PasswordField(
        label,
        validators=[
            DataRequired(message=_l("Please choose a password.")),
            Length(min=PASSWORD_MIN_LENGTH, max=128,
                   message=_l("A password has between %(min)d and %(max)d characters.")),
            not_guessable,
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
    ], filters=[stripped], render_kw={"autocomplete": "name"})
    mobile = mobile_field()
    password = new_password_field(_l("Password"))
    confirm = PasswordField(_l("Password again"), validators=[
        DataRequired(message=_l("Please enter the password again.")),
        EqualTo("password", message=_l("The two passwords differ.")),
    ], render_kw={"autocomplete": "new-password"})
    # Whether the number already has an account is not said here: the code (or a warning) goes to the number.
    submit = SubmitField(_l("Send me a code"))


def code_field() -> StringField:
    """The one-time code from the SMS."""
    return StringField(
        _l("Code from the SMS"),
        validators=[DataRequired(message=_l("Please enter the code from the SMS.")),
                    Regexp(r"^\d{6}$", message=_l("The code has 6 digits."))],
        filters=[stripped],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6},
    )


class CodeForm(FlaskForm):
    code = code_field()
    submit = SubmitField(_l("Confirm"))


class ForgotPasswordForm(FlaskForm):
    mobile = mobile_field()
    submit = SubmitField(_l("Send me a code"))


class ResetPasswordForm(FlaskForm):
    code = code_field()
    password = new_password_field(_l("New password"))
    confirm = PasswordField(_l("New password again"), validators=[
        DataRequired(message=_l("Please enter the password again.")),
        EqualTo("password", message=_l("The two passwords differ.")),
    ], render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Set the new password"))

    def __init__(self, *args, account_mobile: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_mobile = account_mobile


class ChangeMobileForm(FlaskForm):
    mobile = mobile_field(_l("New mobile number"))
    current = PasswordField(_l("Current password"), validators=[
        DataRequired(message=_l("Please enter your current password."))
    ], render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Send a code to the new number"))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def validate_mobile(self, field) -> None:
        if field.data == self.user.mobile:
            raise ValidationError(_l("This is already your number."))

    def validate_current(self, field) -> None:
        if not self.user.check_password(field.data):
            raise ValidationError(_l("The current password is not right."))


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

    def validate_password(self, field) -> None:
        if field.data and field.data == self.current.data:
            raise ValidationError(_l("Choose a password different from the current one."))


class LogoutForm(FlaskForm):
    """An empty form: logging out is a POST with a CSRF token."""

    submit = SubmitField(_l("Log out"))
