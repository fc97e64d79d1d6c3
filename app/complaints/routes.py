"""Complaint pages: filing (guardian, or anyone with a proven mobile), the filer's progress, the school's and the
county's case pages, the county's counts, and the complaint contacts of a school and of the county."""

import hmac
import logging

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.access import get_for_school_or_404, roles_required
from app.accounts import verification
from app.accounts.models import CodePurpose, Role
from app.accounts.routes import _code_limits, _sms_limits  # the same SMS limits as every other code page
from app.complaints import bp, services
from app.complaints.forms import (
    AnswerForm,
    CloseForm,
    ComplaintForm,
    CountyContactsForm,
    MobileForm,
    SchoolContactsForm,
    TrackForm,
)
from app.complaints.models import Complaint, ComplaintCategory, ComplaintStatus
from app.complaints.words import CATEGORY_LABELS, ESCALATION_LABELS, SHORT_STATUS_LABELS, STATUS_LABELS
from app.extensions import db
from app.forms_common import ConfirmForm
from app.messaging.sms import SmsError
from app.params import bounded_int
from app.schools.models import School
from scheduling import policy

logger = logging.getLogger(__name__)

MOBILE_KEY = "complaint_mobile"  # the number a complaint code was sent to, between the two steps
TOKEN_KEY = "complaint_token"  # the tracking token of the complaint just filed, shown once on the next page

school_admins = roles_required(Role.SCHOOL_ADMIN)
officer_only = roles_required(Role.COUNTY_OFFICER)
handlers = roles_required(Role.SCHOOL_ADMIN, Role.COUNTY_OFFICER)


@bp.app_context_processor
def complaint_words() -> dict:
    return {"complaint_category_labels": CATEGORY_LABELS, "complaint_status_labels": STATUS_LABELS,
            "complaint_short_status_labels": SHORT_STATUS_LABELS, "escalation_labels": ESCALATION_LABELS,
            "ComplaintStatus": ComplaintStatus, "complaint_response_days": policy.COMPLAINT_RESPONSE_DAYS}


def _filer_allowed() -> None:
    """A logged-in guardian files with the account; anyone else logged in is staff, who handle complaints."""
    if current_user.is_authenticated and current_user.role is not Role.GUARDIAN:
        abort(403)


# --- Filing ---

@bp.route("/school/<int:school_id>/new", methods=["GET", "POST"])
@_code_limits(MOBILE_KEY)
def file(school_id: int):
    """File a complaint about a school's service: with a guardian's account, or with a mobile proven by SMS."""
    _filer_allowed()
    school = db.get_or_404(School, school_id)
    with_account = current_user.is_authenticated
    if request.args.get("restart"):
        session.pop(MOBILE_KEY, None)
    mobile = "" if with_account else session.get(MOBILE_KEY, "")
    if not with_account and not mobile:
        if request.method == "POST":
            return redirect(url_for("complaints.file", school_id=school.id))
        return render_template("complaints/mobile.html", school=school, form=MobileForm())
    form = ComplaintForm(school=school, with_account=with_account)
    if form.validate_on_submit():
        if not with_account and verification.redeem_code(mobile, CodePurpose.COMPLAINT, form.code.data) is None:
            db.session.commit()  # the wrong try counts
            form.code.errors.append(_("The code is wrong or no longer valid. Check the SMS, or ask for a new code."))
        else:
            complaint, token = services.file_complaint(
                school, form.category_value, form.body.data, filer=current_user if with_account else None,
                name="" if with_account else form.name.data or "", mobile=mobile,
                identity_shared=form.identity_shared.data, offering_id=form.offering_id.data,
                provider_id=form.provider_id.data)
            db.session.commit()
            session.pop(MOBILE_KEY, None)
            if with_account:
                flash(_("Your complaint %(ref)s has gone to the school.", ref=complaint.reference), "success")
                return redirect(url_for("complaints.my_case", complaint_id=complaint.id))
            session[TOKEN_KEY] = token
            return redirect(url_for("complaints.filed"))
    return render_template("complaints/file.html", school=school, form=form, with_account=with_account,
                           mobile=verification.mask(mobile) if mobile else "")


@bp.route("/school/<int:school_id>/code", methods=["POST"])
@_sms_limits
def send_code(school_id: int):
    """No account: send a code to the number the complaint comes from."""
    _filer_allowed()
    school = db.get_or_404(School, school_id)
    if current_user.is_authenticated:
        return redirect(url_for("complaints.file", school_id=school.id))
    form = MobileForm()
    if not form.validate_on_submit():
        return render_template("complaints/mobile.html", school=school, form=form)
    try:
        verification.issue_code(form.mobile.data, CodePurpose.COMPLAINT)
    except SmsError:
        db.session.rollback()
        logger.exception("complaint code not sent")
        form.mobile.errors.append(_("The SMS could not be sent just now. Please try again in a few minutes."))
        return render_template("complaints/mobile.html", school=school, form=form)
    db.session.commit()
    session[MOBILE_KEY] = form.mobile.data
    flash(_("We sent a code by SMS to %(mobile)s.", mobile=verification.mask(form.mobile.data)), "info")
    return redirect(url_for("complaints.file", school_id=school.id))


@bp.route("/filed")
def filed():
    """Right after filing without an account: the tracking link, shown this once."""
    token = session.pop(TOKEN_KEY, None)
    complaint = services.by_tracking_token(token) if token else None
    if complaint is None:
        return redirect(url_for("main.index"))
    return render_template("complaints/filed.html", complaint=complaint, link=services.tracking_url(token))


# --- The filer's progress ---

@bp.route("/mine")
@roles_required(Role.GUARDIAN)
def mine():
    """A guardian's complaints, and where to file one about each of their children's schools."""
    schools = {link.student.school for link in current_user.guardian_links if link.verified and link.student}
    return render_template("complaints/mine.html", complaints=services.filer_cases(current_user),
                           schools=sorted(schools, key=lambda s: s.name))


def _own_complaint_or_404(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None or complaint.filer_id != current_user.id:
        abort(404)
    return complaint


@bp.route("/mine/<int:complaint_id>")
@roles_required(Role.GUARDIAN)
def my_case(complaint_id: int):
    complaint = _own_complaint_or_404(complaint_id)
    return render_template("complaints/progress.html", complaint=complaint, escalate_form=ConfirmForm(),
                           escalate_url=url_for("complaints.my_escalate", complaint_id=complaint.id))


@bp.route("/mine/<int:complaint_id>/county", methods=["POST"])
@roles_required(Role.GUARDIAN)
def my_escalate(complaint_id: int):
    """Not satisfied with the school's answer: send it on to the county."""
    complaint = _own_complaint_or_404(complaint_id)
    if ConfirmForm().validate_on_submit():
        _escalate_by_filer(complaint)
    return redirect(url_for("complaints.my_case", complaint_id=complaint.id))


def _escalate_by_filer(complaint: Complaint) -> None:
    if services.escalate(complaint, "filer"):
        db.session.commit()
        flash(_("Your complaint is now with the county education bureau."), "success")
    else:
        flash(_("Only a complaint the school has answered can be sent on to the county."), "warning")


def _tracked_or_404(token: str) -> Complaint:
    complaint = services.by_tracking_token(token)
    if complaint is None or complaint.filer_id is not None:
        abort(404)
    return complaint


def _mobile_matches(complaint: Complaint, form: TrackForm) -> bool:
    return hmac.compare_digest(complaint.filer_mobile.encode(), (form.mobile.data or "").encode())


@bp.route("/track/<token>", methods=["GET", "POST"])
def track(token: str):
    """Without an account: the tracking link and the mobile it was filed from show the complaint's progress."""
    complaint = _tracked_or_404(token)
    form = TrackForm()
    if form.validate_on_submit():
        if _mobile_matches(complaint, form):
            return render_template("complaints/progress.html", complaint=complaint, escalate_form=form,
                                   escalate_url=url_for("complaints.track_escalate", token=token))
        form.mobile.errors.append(_("This is not the number the complaint was filed from."))
    return render_template("complaints/track.html", form=form)


@bp.route("/track/<token>/county", methods=["POST"])
def track_escalate(token: str):
    complaint = _tracked_or_404(token)
    form = TrackForm()
    if form.validate_on_submit() and _mobile_matches(complaint, form):
        _escalate_by_filer(complaint)
    return redirect(url_for("complaints.track", token=token))


# --- The school and the county ---

@bp.route("/school")
@school_admins
def school_cases():
    """The school's complaints: those it must answer first, each with its deadline."""
    return render_template("complaints/school_cases.html", school=current_user.school,
                           complaints=services.school_cases(current_user.school_id))


@bp.route("/<int:complaint_id>")
@handlers
def case(complaint_id: int):
    complaint = get_for_school_or_404(Complaint, complaint_id)
    return _case_page(complaint)


def _case_page(complaint: Complaint, *, identity=None, answer_form=None, close_form=None):
    return render_template(
        "complaints/case.html", complaint=complaint, identity=identity,
        may_see_identity=services.may_see_identity(complaint, current_user), action_form=ConfirmForm(),
        answer_form=answer_form or AnswerForm(), close_form=close_form or CloseForm())


@bp.route("/<int:complaint_id>/answer", methods=["POST"])
@school_admins
def answer(complaint_id: int):
    complaint = get_for_school_or_404(Complaint, complaint_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _case_page(complaint, answer_form=form)
    if services.answer_by_school(complaint, form.text.data, current_user):
        db.session.commit()
        flash(_("Your answer has gone to the complainant."), "success")
    else:
        flash(_("This complaint is no longer the school's to answer."), "warning")
    return redirect(url_for("complaints.case", complaint_id=complaint.id))


@bp.route("/<int:complaint_id>/close", methods=["POST"])
@officer_only
def close(complaint_id: int):
    complaint = get_for_school_or_404(Complaint, complaint_id)
    form = CloseForm()
    if not form.validate_on_submit():
        return _case_page(complaint, close_form=form)
    if services.close_by_county(complaint, form.text.data, current_user):
        db.session.commit()
        flash(_("The complaint is closed and the complainant has the county's answer."), "success")
    else:
        flash(_("This complaint is already closed."), "warning")
    return redirect(url_for("complaints.case", complaint_id=complaint.id))


@bp.route("/<int:complaint_id>/identity", methods=["POST"])
@roles_required(Role.COUNTY_OFFICER, principal=True)
def reveal(complaint_id: int):
    """Show the filer's name and mobile (when they allowed it), and log the look."""
    complaint = get_for_school_or_404(Complaint, complaint_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("complaints.case", complaint_id=complaint.id))
    identity = services.reveal_identity(complaint, current_user)
    if identity is None:
        abort(403)
    db.session.commit()  # the log row stays even if the page is closed at once
    return _case_page(complaint, identity=identity)


@bp.route("/county")
@officer_only
def county():
    """The county's counts by school and category, and the cases someone still has to answer."""
    county_id = current_user.county_id
    school_id = request.args.get("school", type=bounded_int)
    category = request.args.get("category", "")
    category = ComplaintCategory(category) if category in {c.value for c in ComplaintCategory} else None
    figures = services.county_figures(county_id)
    if school_id is not None and school_id not in {s.id for s, _counts in figures.schools}:
        abort(404)
    return render_template("complaints/county.html", figures=figures, school_id=school_id, category=category,
                           cases=services.open_cases(county_id, school_id=school_id, category=category))


# --- Contacts ---

@bp.route("/contacts", methods=["GET", "POST"])
@school_admins
def school_contacts():
    """Where families take a complaint about the school (shown on its notice and the county's public page)."""
    school = current_user.school
    form = SchoolContactsForm(obj=school)
    if form.validate_on_submit():
        services.save_school_contacts(school, form.complaint_phone.data or "", form.complaint_email.data or "")
        db.session.commit()
        flash(_("Complaint contacts saved."), "success")
        return redirect(url_for("complaints.school_contacts"))
    return render_template("complaints/contacts.html", form=form, owner=school)


@bp.route("/county/contacts", methods=["GET", "POST"])
@officer_only
def county_contacts():
    """Where the public takes a complaint to the county (every notice, the whitelist, the public page)."""
    county = current_user.county
    form = CountyContactsForm(obj=county)
    if form.validate_on_submit():
        services.save_county_contacts(county, form.complaint_phone.data or "", form.complaint_email.data or "",
                                      form.complaint_address.data or "")
        db.session.commit()
        flash(_("Complaint contacts saved."), "success")
        return redirect(url_for("complaints.county_contacts"))
    return render_template("complaints/contacts.html", form=form, owner=county)
