"""Home, dashboard, language (health and readiness: app/ops)."""

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app.accounts.models import Role
from app.extensions import db
from app.main import bp
from app.main.forms import LanguageForm
from app.schools.models import County


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    counties = db.session.scalars(db.select(County).order_by(County.name)).all()
    return render_template("main/index.html", counties=counties)


@bp.route("/dashboard")
@login_required
def dashboard():
    templates = {
        Role.GUARDIAN: "main/dashboard_guardian.html",
        Role.TEACHER: "main/dashboard_teacher.html",
        Role.SCHOOL_ADMIN: "main/dashboard_school_admin.html",
        Role.PROVIDER_STAFF: "main/dashboard_provider.html",
        Role.COUNTY_OFFICER: "main/dashboard_county.html",
        Role.FINANCE: "main/dashboard_finance.html",
    }
    return render_template(templates[current_user.role])


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in current_app.config["LANGUAGES"]:
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    target = request.referrer or url_for("main.index")
    if not target.startswith(request.host_url):
        target = url_for("main.index")
    return redirect(target)
