"""Log in, register, change password, log out."""

import logging
import re
import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_fresh, login_required, login_user, logout_user

from app.accounts import bp, services, verification
from app.accounts.forms import (
    MOBILE_PATTERN,
    ChangeMobileForm,
    ChangePasswordForm,
    CodeForm,
    ForgotPasswordForm,
    LoginForm,
    LogoutForm,
    RegisterForm,
    ResetPasswordForm,
)
from app.accounts.models import Role
from app.audit import services as audit
from app.extensions import db, limiter
from app.messaging.sms import SmsError

logger = logging.getLogger(__name__)


def _safe_next(default: str) -> str:
    """Only follow a 'next' that stays on this site: a plain path, no scheme, host or control character."""
    target = request.args.get("next", "")
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all(ch.isprintable() for ch in target)
    ):
        return target
    return default


def _config_limit(name: str):
    """A limit read from config at request time (tests and the load benchmark change them)."""
    return lambda: current_app.config[name]


def _posted_mobile() -> str:
    """The limiter's key for limits per mobile number: the number the form sends. Empty (no such limit applies) when
    it is not a mobile number, which the form refuses anyway: the store then holds no key made of arbitrary text."""
    mobile = request.form.get("mobile", "").strip()
    return f"mobile:{mobile}" if re.fullmatch(MOBILE_PATTERN, mobile) else ""


def _start_session(user, *, remember: bool = False) -> None:
    """Log the browser in; staff sessions end when idle (STAFF_IDLE_TIMEOUT), only guardians may be remembered."""
    login_user(user, remember=remember and user.role is Role.GUARDIAN)
    session["seen_at"] = int(time.time())


# Pages an account that must change its password may still open.
OPEN_DURING_PASSWORD_CHANGE = {"accounts.change_password", "accounts.logout", "main.set_language", "ops.healthz",
                               "ops.readyz", "ops.metrics_page", "static"}


@bp.before_app_request
def enforce_session_rules():
    """End idle staff sessions; keep an account whose password an administrator set on the change-password page."""
    if not current_user.is_authenticated:
        return None
    if current_user.role is not Role.GUARDIAN:
        now = int(time.time())
        seen = session.get("seen_at")
        # Staff are never remembered now; a session restored from an older remember-me cookie is not fresh.
        idle = seen is None and not login_fresh()
        if idle or (seen is not None and now - seen > current_app.config["STAFF_IDLE_TIMEOUT"].total_seconds()):
            logout_user()
            session.pop("seen_at", None)
            flash(_("You were logged out after a while without use. Please log in again."), "info")
            return redirect(url_for("accounts.login", next=request.full_path if request.method == "GET" else None))
        if seen is None or now - seen >= 30:  # a fresh cookie at most every half minute
            session["seen_at"] = now
    if current_user.must_change_password and request.endpoint not in OPEN_DURING_PASSWORD_CHANGE:
        if request.method == "GET":
            flash(_("Your password was set by an administrator. Please choose your own before going on."), "info")
        return redirect(url_for("accounts.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_config_limit("LOGIN_RATE_LIMIT"), methods=["POST"], error_message="too many login attempts")
@limiter.limit(_config_limit("LOGIN_MOBILE_RATE_LIMIT"), key_func=_posted_mobile, methods=["POST"],
               error_message="too many login attempts for one number")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.mobile.data, form.password.data)
        if user is None:
            db.session.commit()  # the failed login's log row
            flash(_("Wrong mobile number or password."), "error")
        elif not user.is_active:  # the password is right, but the provider may not work now
            # Imported here: providers' routes import app.access, which imports this package (a cycle at import).
            from app.providers.services import login_refusal

            audit.security("login_refused", user, subject=user.provider.name if user.provider else "")
            db.session.commit()
            flash(login_refusal(user.provider), "error")
        else:
            _start_session(user, remember=form.remember.data)
            audit.security("login", user)
            welcome = _("Welcome, %(name)s.", name=user.name)  # before the commit, which expires the account
            db.session.commit()
            flash(welcome, "success")
            return redirect(_safe_next(url_for("main.dashboard")))
    return render_template("accounts/login.html", form=form)


def _session_mobile(key: str) -> str:
    """The number a code was sent to in this browser (kept in the session between the two steps)."""
    return session.get(key) or ""


def _code_key(key: str):
    """The limiter's key for entering codes: the number they were sent to."""
    return lambda: f"code:{_session_mobile(key)}" if _session_mobile(key) else ""


def _sent(response) -> bool:
    """A form that went through (and so sent an SMS, or would have): a mistyped form does not count."""
    return response.status_code == 302


def _sms_limits(view):
    """Requests that send an SMS: limited per address and per number (SMS_*_RATE_LIMIT), counted across all of
    them (registration, forgotten password, change of mobile), so moving to another page does not start afresh."""
    view = limiter.shared_limit(_config_limit("SMS_MOBILE_RATE_LIMIT"), scope="sms-mobile", key_func=_posted_mobile,
                                methods=["POST"], deduct_when=_sent,
                                error_message="too many codes for one number")(view)
    return limiter.shared_limit(_config_limit("SMS_ADDRESS_RATE_LIMIT"), scope="sms-address", methods=["POST"],
                                deduct_when=_sent, error_message="too many codes from one address")(view)


def _code_limits(session_key: str):
    """Entering a code: limited per address and per number (CODE_CHECK_RATE_LIMIT); each code has its own tries."""

    def decorate(view):
        view = limiter.limit(_config_limit("CODE_CHECK_RATE_LIMIT"), key_func=_code_key(session_key),
                             methods=["POST"], error_message="too many codes entered for one number")(view)
        return limiter.limit(_config_limit("CODE_CHECK_RATE_LIMIT"), methods=["POST"],
                             error_message="too many codes entered from one address")(view)

    return decorate


def _sms_failed(form, template: str):
    """The provider refused the SMS: nothing is kept, and the form says to try again later."""
    db.session.rollback()
    logger.exception("one-time code not sent")
    form.mobile.errors.append(_("The SMS could not be sent just now. Please try again in a few minutes."))
    return render_template(template, form=form)


def _code_sent(mobile: str) -> None:
    flash(_("We sent a code by SMS to %(mobile)s. It is valid for %(minutes)d minutes.",
            mobile=verification.mask(mobile),
            minutes=current_app.config["ONE_TIME_CODE_LIFETIME"].total_seconds() // 60), "info")


@bp.route("/register", methods=["GET", "POST"])
@_sms_limits
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.start_registration(form.name.data, form.mobile.data, form.password.data)
        except SmsError:
            return _sms_failed(form, "accounts/register.html")
        db.session.commit()
        session["register_mobile"] = form.mobile.data
        _code_sent(form.mobile.data)
        return redirect(url_for("accounts.register_verify"))
    return render_template("accounts/register.html", form=form)


@bp.route("/register/code", methods=["GET", "POST"])
@_code_limits("register_mobile")
def register_verify():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    mobile = _session_mobile("register_mobile")
    if not mobile:
        return redirect(url_for("accounts.register"))
    form = CodeForm()
    if form.validate_on_submit():
        user = services.complete_registration(mobile, form.code.data)
        db.session.commit()  # a wrong try is counted too
        if user is not None:
            session.pop("register_mobile", None)
            _start_session(user)
            flash(_("Your account is ready. Next, bind your child."), "success")
            return redirect(url_for("main.dashboard"))
        form.code.errors.append(_("The code is wrong or no longer valid. Check the SMS, or ask for a new code."))
    return render_template("accounts/code.html", form=form, mobile=verification.mask(mobile),
                           title=_("Confirm your mobile number"), again=url_for("accounts.register"))


@bp.route("/forgot", methods=["GET", "POST"])
@_sms_limits
def forgot_password():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        try:
            services.start_password_reset(form.mobile.data)
            db.session.commit()
        except SmsError:
            # Said only in the log: only numbers with an account get an SMS, so a failure would tell them apart.
            db.session.rollback()
            logger.exception("password reset code not sent")
        session["reset_mobile"] = form.mobile.data
        flash(_("If %(mobile)s has an account, a code is on its way by SMS.",
                mobile=verification.mask(form.mobile.data)), "info")
        return redirect(url_for("accounts.reset_password"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/forgot/code", methods=["GET", "POST"])
@_code_limits("reset_mobile")
def reset_password():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.change_password"))
    mobile = _session_mobile("reset_mobile")
    if not mobile:
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm(account_mobile=mobile)
    if form.validate_on_submit():
        user = services.reset_password(mobile, form.code.data, form.password.data)
        db.session.commit()
        if user is not None:
            session.pop("reset_mobile", None)
            _start_session(user)
            flash(_("Your new password is set. Every other device has been logged out."), "success")
            return redirect(url_for("main.dashboard"))
        form.code.errors.append(_("The code is wrong or no longer valid. Check the SMS, or ask for a new code."))
    return render_template("accounts/reset.html", form=form, mobile=verification.mask(mobile))


@bp.route("/mobile", methods=["GET", "POST"])
@login_required
@_sms_limits
def change_mobile():
    form = ChangeMobileForm(user=current_user)
    if form.validate_on_submit():
        try:
            services.start_mobile_change(current_user, form.mobile.data)
        except SmsError:
            return _sms_failed(form, "accounts/mobile.html")
        db.session.commit()
        session["new_mobile"] = form.mobile.data
        _code_sent(form.mobile.data)
        return redirect(url_for("accounts.change_mobile_verify"))
    return render_template("accounts/mobile.html", form=form)


@bp.route("/mobile/code", methods=["GET", "POST"])
@login_required
@_code_limits("new_mobile")
def change_mobile_verify():
    mobile = _session_mobile("new_mobile")
    if not mobile:
        return redirect(url_for("accounts.change_mobile"))
    form = CodeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        changed = services.change_mobile(user, mobile, form.code.data)
        db.session.commit()
        if changed:
            session.pop("new_mobile", None)
            _start_session(user)  # the session token changed: this browser stays, the others are logged out
            flash(_("Your login is now %(mobile)s. Other devices have been logged out.", mobile=user.mobile),
                  "success")
            return redirect(url_for("main.dashboard"))
        form.code.errors.append(_("The code is wrong or no longer valid. Check the SMS, or ask for a new code."))
    return render_template("accounts/code.html", form=form, mobile=verification.mask(mobile),
                           title=_("Confirm your new mobile number"), again=url_for("accounts.change_mobile"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(user=current_user)
    if form.validate_on_submit():
        services.change_password(current_user, form.password.data)
        audit.security("password_changed")
        db.session.commit()
        # The token changed: log this browser in again with the new one; other devices stay logged out.
        _start_session(current_user._get_current_object())
        flash(_("Password changed. Other devices have been logged out."), "success")
        return redirect(url_for("main.dashboard"))
    return render_template("accounts/password.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = LogoutForm()
    if form.validate_on_submit():
        services.end_sessions(current_user)
        db.session.commit()
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))
