"""Log in, register, change password, log out."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import bp, services
from app.accounts.forms import ChangePasswordForm, LoginForm, LogoutForm, RegisterForm
from app.extensions import db, limiter
from app.providers.services import login_refusal


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


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message="too many login attempts")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.mobile.data, form.password.data)
        if user is None:
            flash(_("Wrong mobile number or password."), "error")
        elif not user.is_active:  # the password is right, but the provider may not work now
            flash(login_refusal(user.provider), "error")
        else:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            flash(_("Welcome, %(name)s.", name=user.name), "success")
            return redirect(_safe_next(url_for("main.dashboard")))
    return render_template("accounts/login.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        user = services.register_guardian(form.name.data, form.mobile.data, form.password.data)
        db.session.commit()
        login_user(user)
        flash(_("Your account is ready. Next, bind your child."), "success")
        return redirect(url_for("main.dashboard"))
    return render_template("accounts/register.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm(user=current_user)
    if form.validate_on_submit():
        services.change_password(current_user, form.password.data)
        db.session.commit()
        # The token changed: log this browser in again with the new one; other devices stay logged out.
        login_user(current_user._get_current_object())
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
