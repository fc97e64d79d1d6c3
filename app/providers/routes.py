"""Provider whitelist pages: the county keeps the list (准入、遴选、评估退出); anyone may read it."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import get_for_county_or_404, roles_required
from app.accounts.models import Role, User
from app.extensions import db
from app.forms_common import ConfirmForm
from app.models_base import local_today
from app.providers import bp, services
from app.providers.forms import (
    ACTION_LABELS,
    RATING_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    VETTING_LABELS,
    ApproveForm,
    EvaluationForm,
    ExitForm,
    ProviderForm,
    ProviderStaffForm,
    RenewForm,
    SuspendForm,
)
from app.providers.models import (
    EvaluationRating,
    Provider,
    ProviderStatus,
    ReasonCategory,
    VettingAction,
    VettingStatus,
)
from app.schools.models import County
from app.staff.services import skill_label
from app.surveys import results as survey_results
from scheduling import policy

officer_only = roles_required(Role.COUNTY_OFFICER)
# What a suspension or exit does at once (services._withdraw_staff), said to the officer who did it.
STAFF_STOPPED = _l("Its staff can no longer log in, and the schools were asked to re-plan the sessions they had.")


# --- Words for templates (also used by the provider staff dashboard) ---

@bp.app_template_filter("activity_label")
def activity_label(code: str) -> str:
    """A policy activity in the current language only (体育, or sports)."""
    return skill_label(code)


@bp.app_template_filter("provider_status_label")
def provider_status_label(status: ProviderStatus) -> str:
    return str(STATUS_LABELS[status])


@bp.app_template_filter("vetting_status_label")
def vetting_status_label(status: VettingStatus) -> str:
    return str(VETTING_LABELS[status])


@bp.app_template_filter("vetting_action_label")
def vetting_action_label(action: VettingAction) -> str:
    return str(ACTION_LABELS[action])


@bp.app_template_filter("reason_category_label")
def reason_category_label(category: ReasonCategory | None) -> str:
    return str(REASON_LABELS[category]) if category is not None else ""


@bp.app_template_filter("rating_label")
def rating_label(rating: EvaluationRating | None) -> str:
    return str(RATING_LABELS[rating]) if rating is not None else ""


# --- County officer ---

@bp.route("/")
@officer_only
def index():
    status_value = request.args.get("status", "")
    status = next((s for s in ProviderStatus if s.value == status_value), None)
    providers = services.county_providers(current_user.county_id, status)
    return render_template("providers/index.html", providers=providers, status=status, statuses=list(ProviderStatus))


@bp.route("/new", methods=["GET", "POST"])
@officer_only
def new():
    form = ProviderForm(county_id=current_user.county_id)
    if form.validate_on_submit():
        provider = services.add_application(
            current_user.county_id, name=form.name.data, credit_code=form.credit_code.data,
            contact_name=form.contact_name.data, contact_mobile=form.contact_mobile.data,
            categories=form.categories.data, by=current_user,
        )
        db.session.commit()
        flash(_("Application from %(name)s recorded. Vet it to put it on the whitelist.", name=provider.name),
              "success")
        return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template("providers/new.html", form=form, forbidden=sorted(policy.PROVIDER_FORBIDDEN_ACTIVITIES))


def _render_detail(provider: Provider, **forms):
    """The provider's page, with any submitted form (and its errors) in place of a blank one."""
    suspend_submitted = "suspend_form" in forms
    forms.setdefault("approve_form", ApproveForm(provider=provider, formdata=None))
    forms.setdefault("renew_form", RenewForm(provider=provider, formdata=None))
    suspend_form = forms.setdefault("suspend_form", SuspendForm(provider=provider, formdata=None))
    forms.setdefault("exit_form", ExitForm(provider=provider, formdata=None))
    latest = provider.latest_evaluation
    offer_suspension = latest is not None and latest.is_unsatisfactory and provider.can(VettingAction.SUSPEND)
    if offer_suspension and not suspend_submitted:
        suspend_form.reason_category.data = ReasonCategory.EVALUATION.value
        suspend_form.reason.data = _("Unsatisfactory evaluation for %(term)s", term=latest.term_name)
    return render_template("providers/detail.html", provider=provider, offer_suspension=offer_suspension, **forms)


@bp.route("/<int:provider_id>")
@officer_only
def detail(provider_id: int):
    provider = get_for_county_or_404(Provider, provider_id)
    return _render_detail(provider)


@bp.route("/<int:provider_id>/approve", methods=["POST"])
@officer_only
def approve(provider_id: int):
    provider = get_for_county_or_404(Provider, provider_id)
    form = ApproveForm(provider=provider)
    if not form.validate_on_submit():
        return _render_detail(provider, approve_form=form)
    services.approve(provider, form.vetted_until.data, current_user)
    db.session.commit()
    flash(_("%(name)s is on the whitelist until %(day)s.", name=provider.name, day=provider.vetted_until.isoformat()),
          "success")
    return redirect(url_for("providers.detail", provider_id=provider.id))


@bp.route("/<int:provider_id>/renew", methods=["POST"])
@officer_only
def renew(provider_id: int):
    provider = get_for_county_or_404(Provider, provider_id)
    form = RenewForm(provider=provider)
    if not form.validate_on_submit():
        return _render_detail(provider, renew_form=form)
    services.renew(provider, form.vetted_until.data, current_user)
    db.session.commit()
    flash(_("Vetting of %(name)s renewed until %(day)s.", name=provider.name, day=provider.vetted_until.isoformat()),
          "success")
    return redirect(url_for("providers.detail", provider_id=provider.id))


@bp.route("/<int:provider_id>/suspend", methods=["POST"])
@officer_only
def suspend(provider_id: int):
    provider = get_for_county_or_404(Provider, provider_id)
    form = SuspendForm(provider=provider)
    if not form.validate_on_submit():
        return _render_detail(provider, suspend_form=form)
    services.suspend(provider, ReasonCategory(form.reason_category.data), form.reason.data, current_user)
    db.session.commit()
    flash(_("%(name)s is suspended.", name=provider.name) + " " + str(STAFF_STOPPED), "success")
    return redirect(url_for("providers.detail", provider_id=provider.id))


@bp.route("/<int:provider_id>/exit", methods=["POST"])
@officer_only
def exit_whitelist(provider_id: int):
    provider = get_for_county_or_404(Provider, provider_id)
    form = ExitForm(provider=provider)
    if not form.validate_on_submit():
        return _render_detail(provider, exit_form=form)
    services.exit_whitelist(provider, ReasonCategory(form.reason_category.data), form.reason.data, current_user)
    db.session.commit()
    flash(_("%(name)s has left the whitelist.", name=provider.name) + " " + str(STAFF_STOPPED), "success")
    return redirect(url_for("providers.detail", provider_id=provider.id))


@bp.route("/<int:provider_id>/evaluate", methods=["GET", "POST"])
@officer_only
def evaluate(provider_id: int):
    provider = get_for_county_or_404(Provider, provider_id)
    form = EvaluationForm(provider=provider)
    surveyed = survey_results.provider_survey_figures(provider)
    start = survey_results.evaluation_start(provider, request.args.get("term"))
    if start is not None and request.method == "GET":  # the families' mean offered as the starting score
        form.term_name.data, form.score.data = start[0].term_name, survey_results.starting_score(start[1].mean)
    if form.validate_on_submit():
        evaluation = services.evaluate(
            provider, term_name=form.term_name.data,
            rating=EvaluationRating(form.rating.data) if form.rating.data else None,
            score=form.score.data, comment=form.comment.data or "", by=current_user,
        )
        db.session.commit()
        if evaluation.is_unsatisfactory and provider.can(VettingAction.SUSPEND):
            flash(_("The evaluation is unsatisfactory. You may suspend the provider below."), "warning")
        else:
            flash(_("Evaluation saved."), "success")
        return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template("providers/evaluate.html", provider=provider, form=form,
                           pass_score=policy.PROVIDER_PASS_SCORE, surveyed=surveyed, start=start,
                           starting_score=survey_results.starting_score)


@bp.route("/<int:provider_id>/staff/new", methods=["GET", "POST"])
@officer_only
def new_staff(provider_id: int):
    provider = get_for_county_or_404(Provider, provider_id)
    form = ProviderStaffForm(provider=provider)
    if form.validate_on_submit():
        generated = not form.password.data
        password = services.generate_password() if generated else form.password.data
        user = services.create_staff_login(provider, name=form.name.data, mobile=form.mobile.data, password=password)
        db.session.commit()
        # Rendered, not redirected: a generated password is shown this once and stored nowhere.
        return render_template("providers/staff_created.html", provider=provider, user=user,
                               password=password if generated else None)
    return render_template("providers/new_staff.html", provider=provider, form=form)


@bp.route("/<int:provider_id>/staff/<int:user_id>/deactivate", methods=["POST"])
@officer_only
def deactivate_staff(provider_id: int, user_id: int):
    provider = get_for_county_or_404(Provider, provider_id)
    user = db.session.get(User, user_id)
    if user is None or user.provider_id != provider.id or user.role is not Role.PROVIDER_STAFF:
        abort(404)
    if ConfirmForm().validate_on_submit():
        services.deactivate_staff_login(user)
        db.session.commit()
        flash(_("The login of %(name)s is deactivated.", name=user.name), "success")
    return redirect(url_for("providers.detail", provider_id=provider.id))


# --- Public ---

@bp.route("/whitelist/<int:county_id>")
def public_whitelist(county_id: int):
    county = db.session.get(County, county_id)
    if county is None:
        abort(404)
    whitelist, removed = services.public_lists(county.id, local_today())
    return render_template("providers/public_whitelist.html", county=county, whitelist=whitelist, removed=removed)
