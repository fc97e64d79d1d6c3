"""Enrolment pages: guardians apply and withdraw; class teachers review; principals approve; fees; inbox; audit."""

import functools
import logging

from flask import abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload, selectinload

from app.access import get_for_school_or_404, roles_required
from app.accounts.models import Role
from app.audit import services as audit
from app.enrolment import allocation, bp, need_to_know, records, services
from app.enrolment.explain import explain_choice, may_see_draw
from app.enrolment.forms import (
    ApplicationForm,
    ApproveForm,
    ChargeForm,
    HardshipDecisionForm,
    PaymentForm,
    RemovePlaceForm,
    ReturnForm,
    SiblingForm,
)
from app.enrolment.models import (
    ActivityChoice,
    Application,
    ApplicationStatus,
    AuditEvent,
    ChoiceStatus,
    HardshipStatus,
    Lottery,
)
from app.extensions import db
from app.forms_common import ConfirmForm
from app.models_base import local_time, local_today, utcnow
from app.programs import window
from app.programs.models import Offering
from app.programs.services import current_agreement
from app.schools.models import SchoolClass, Student

logger = logging.getLogger(__name__)
guardian_only = roles_required(Role.GUARDIAN)
admin_only = roles_required(Role.SCHOOL_ADMIN)
fees_only = roles_required(Role.FINANCE, principal=True)  # need_to_know.handles_fees: fees show hardship


@bp.app_template_global()
def application_status_label(status) -> str:
    return str(records.STATUS_LABELS[status])


@bp.app_template_global()
def choice_status_label(status) -> str:
    return str(records.CHOICE_LABELS[status])


@bp.app_template_global()
def ledger_label(kind) -> str:
    return str(records.LEDGER_LABELS[kind])


@bp.app_template_global()
def audit_object_label(object_type: str) -> str:
    label = records.OBJECT_LABELS.get(object_type)
    return str(label) if label is not None else object_type


bp.add_app_template_global(records.audit_label, "audit_label")
bp.add_app_template_global(local_time, "local_time")
bp.add_app_template_global(window.window_closes, "window_closes")
bp.add_app_template_global(window.apply_by_text, "apply_by")


def bring_up_to_date(offering: Offering) -> None:
    """Run the offering's draw or pass on its expired offers if due, before showing it. Another request doing the
    same at the same moment is fine: the draw is guarded to run once, and this request then sees its result."""
    if not allocation.may_have_due(offering, utcnow()):
        return  # nothing to draw and no offer that could expire: no query, and the page's objects stay loaded
    try:
        allocation.run_due(offering=offering)
        db.session.commit()
    except (IntegrityError, OperationalError):
        db.session.rollback()
        logger.info("offering %s: draw or offers handled by another request", offering.id)


def my_student_or_404(student_id: int) -> Student:
    """A child the current guardian is bound to (any other child is a 404)."""
    student = db.session.get(Student, student_id)
    if student is None or services.verified_link(current_user, student) is None:
        abort(404)
    return student


@functools.cache
def application_statement() -> Select:
    """An application with its offering, agreement and choices' activities, in one statement (an application has at
    most a few choices); built once per process (its cache key too), the id bound at each request."""
    return db.select(Application).filter(Application.id == db.bindparam("application_id")).options(
        joinedload(Application.offering), joinedload(Application.agreement),
        joinedload(Application.choices).joinedload(ActivityChoice.activity)).execution_options(prepare=True)


def application_or_404(application_id: int) -> Application:
    """An application the current user may see: the family's own (not a guardian whose link is unconfirmed), the
    class teacher's class, the school's for its administrators and finance officers."""
    application = db.session.scalars(application_statement(), {"application_id": application_id}).unique().first()
    if application is None:
        abort(404)
    role = current_user.role
    if role is Role.GUARDIAN:
        allowed = need_to_know.is_family(current_user, application)
    elif role is Role.TEACHER:
        allowed = application.student.school_class.class_teacher_id == current_user.id
    elif role in (Role.SCHOOL_ADMIN, Role.FINANCE):
        allowed = application.school_id == current_user.school_id
    else:
        allowed = False
    if not allowed:
        abort(404)
    return application


# --- Guardians ---


@bp.route("/")
@guardian_only
def index():
    """The guardian's children, what each may apply for, and the applications made."""
    rows = []
    for link in current_user.guardian_links:
        applications = enrolment_applications(link.student)
        applied = {a.offering_id for a in applications}
        offerings = [o for o in services.open_offerings(link.student, utcnow()) if o.id not in applied] \
            if link.student_id in need_to_know.confirmed_child_ids(current_user) else []
        rows.append((link, applications, offerings))
    return render_template("enrolment/index.html", rows=rows)


@bp.route("/apply/<int:student_id>/<int:offering_id>", methods=["GET", "POST"])
@guardian_only
def apply(student_id: int, offering_id: int):
    student = my_student_or_404(student_id)
    offering, agreement = services.offering_and_agreement(offering_id)
    if offering is None or offering.school_id != student.school_id or not offering.is_published:
        abort(404)
    bring_up_to_date(offering)
    link = services.verified_link(current_user, student)
    if not link.verified:
        flash(_("Waiting for the class teacher to confirm that you are %(name)s's guardian.", name=student.name),
              "warning")
        return redirect(url_for("enrolment.index"))
    children = services.children_for_offering(current_user, offering, student)
    existing = next(application for child, application in children if child.id == student.id)
    if existing is not None:
        flash(_("%(name)s already has an application for this offering.", name=student.name), "info")
        return redirect(url_for("enrolment.application", application_id=existing.id))
    form = ApplicationForm(student=student, offering=offering, today=local_today(), existing=existing)
    if not form.is_submitted():
        form.weekdays.data = list(offering.weekdays)
    if form.validate_on_submit():
        application = services.submit_application(current_user, student, offering, agreement, form)
        target = url_for("enrolment.application", application_id=application.id)  # before the commit expires it
        db.session.commit()
        flash(_("Application sent. The class teacher reviews it next."), "success")
        return redirect(target)
    return render_template("enrolment/apply.html", form=form, student=student, offering=offering,
                           agreement=agreement, application=None, places=window.places_left(offering),
                           children=children)


@bp.route("/applications/<int:application_id>")
@roles_required(Role.GUARDIAN, Role.SCHOOL_ADMIN, class_teacher=True)
def application(application_id: int):
    application = application_or_404(application_id)
    bring_up_to_date(application.offering)
    siblings = services.linked_siblings(application)
    candidates = services.sibling_candidates(application, utcnow()) if current_user.role is Role.GUARDIAN else []
    if application.health_notes and need_to_know.may_see_health_notes(current_user, application):
        audit.health_view("application", application.school_id, f"#{application.student_id} {application.student.name}")
        db.session.commit()
    return render_template("enrolment/application.html", application=application, return_form=ReturnForm(),
                           action_form=ConfirmForm(), editable=services.may_edit(application, utcnow()),
                           show_reasons=may_see_draw(current_user, application),
                           reasons={c.id: explain_choice(c, viewer=current_user) for c in application.choices},
                           history=records.review_history(application),
                           remove_form=RemovePlaceForm(), siblings=siblings,
                           before_draw=window.before_draw(application.offering, utcnow()),
                           sibling_form=SiblingForm(candidates=candidates) if candidates or siblings else None)


def _choice_of(choice_id: int) -> ActivityChoice:
    """A choice of an application the current user may see (404 otherwise)."""
    choice = db.session.get(ActivityChoice, choice_id)
    if choice is None:
        abort(404)
    application_or_404(choice.application_id)
    return choice


def _answer_offer(choice_id: int, answer, done: str):
    """Accept or decline an open offer (it may have expired or been taken away since the page was shown)."""
    choice = _choice_of(choice_id)
    if ConfirmForm().validate_on_submit():
        bring_up_to_date(choice.application.offering)
        if choice.status is ChoiceStatus.OFFERED and answer(choice, current_user):
            flash(done % {"activity": choice.seat_activity.name}, "success")
        else:
            flash(_("This offer is no longer open."), "error")
        db.session.commit()
    return redirect(url_for("enrolment.application", application_id=choice.application_id))


@bp.route("/choices/<int:choice_id>/accept", methods=["POST"])
@guardian_only
def accept_offer(choice_id: int):
    return _answer_offer(choice_id, allocation.accept_offer, _("Place accepted: %(activity)s."))


@bp.route("/choices/<int:choice_id>/decline", methods=["POST"])
@guardian_only
def decline_offer(choice_id: int):
    return _answer_offer(choice_id, allocation.decline_offer,
                         _("Declined. The place goes to the next child on the waiting list."))


@bp.route("/choices/<int:choice_id>/remove", methods=["POST"])
@admin_only
def remove_place(choice_id: int):
    choice = _choice_of(choice_id)
    form = RemovePlaceForm()
    if not form.validate_on_submit():
        flash(_("Please give a reason."), "error")
    elif choice.status not in allocation.HOLDING:
        flash(_("This child holds no place in that activity now."), "error")
    else:
        allocation.remove_place(choice, current_user, form.reason.data)
        db.session.commit()
        flash(_("Place removed; it is offered to the next child on the waiting list."), "success")
    return redirect(url_for("enrolment.application", application_id=choice.application_id))


@bp.route("/applications/<int:application_id>/siblings", methods=["POST"])
@guardian_only
def link_siblings(application_id: int):
    application = application_or_404(application_id)
    candidates = services.sibling_candidates(application, utcnow())
    form = SiblingForm(candidates=candidates)
    if not candidates:
        flash(_("Siblings can be linked only before the draw, for applications to the same offering."), "error")
    elif form.validate_on_submit():
        other = next(a for a in candidates if a.id == form.other.data)
        services.link_siblings(application, other, current_user)
        db.session.commit()
        flash(_("Linked: the draw keeps %(a)s and %(b)s together.", a=application.student.name,
                b=other.student.name), "success")
    else:
        flash(_("Please choose the sibling's application."), "error")
    return redirect(url_for("enrolment.application", application_id=application.id))


@bp.route("/applications/<int:application_id>/siblings/unlink", methods=["POST"])
@guardian_only
def unlink_siblings(application_id: int):
    application = application_or_404(application_id)
    if ConfirmForm().validate_on_submit():
        if not window.before_draw(application.offering, utcnow()):
            flash(_("The draw has run; links can no longer change."), "error")
        else:
            services.unlink_siblings(application, current_user)
            db.session.commit()
            flash(_("Unlinked."), "success")
    return redirect(url_for("enrolment.application", application_id=application.id))


@bp.route("/applications/<int:application_id>/edit", methods=["GET", "POST"])
@guardian_only
def edit_application(application_id: int):
    """Change the application while its choices may change, or fix a returned one and send it again."""
    application = application_or_404(application_id)
    now = utcnow()
    if not services.may_edit(application, now):
        flash(_("This application can no longer be changed; you may withdraw it."), "error")
        return redirect(url_for("enrolment.application", application_id=application.id))
    offering = application.offering
    agreement = current_agreement(offering.school)
    form = ApplicationForm(student=application.student, offering=offering, today=local_today(), editing=application,
                           choices_locked=not services.may_change(application, now))
    if not form.is_submitted():
        form.fill_from(application)
        if application.health_notes:
            audit.health_view("application_edit", application.school_id,
                              f"#{application.student_id} {application.student.name}")
            db.session.commit()
    if form.validate_on_submit():
        if services.change_application(application, current_user, agreement, form):
            flash(_("Sent again. The class teacher reviews it next."), "success")
        else:
            flash(_("Changes saved. The class teacher reviews them again."), "success")
        db.session.commit()
        return redirect(url_for("enrolment.application", application_id=application.id))
    return render_template("enrolment/apply.html", form=form, student=application.student, offering=offering,
                           agreement=agreement, application=application)


@bp.route("/applications/<int:application_id>/withdraw", methods=["GET", "POST"])
@guardian_only
def withdraw(application_id: int):
    application = application_or_404(application_id)
    if application.status is ApplicationStatus.WITHDRAWN:
        flash(_("This application is already withdrawn."), "info")
        return redirect(url_for("enrolment.application", application_id=application.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        refund = services.withdraw(application, current_user, local_today())
        db.session.commit()
        flash(_("Withdrawn. Refund due: ¥%(amount).2f.", amount=refund / 100), "success")
        return redirect(url_for("enrolment.application", application_id=application.id))
    return render_template("enrolment/withdraw.html", application=application, form=form,
                           refund=services.refund_due_cents(application, local_today()))


@bp.route("/applications/<int:application_id>/statement")
@roles_required(Role.GUARDIAN, Role.FINANCE, principal=True)
def statement(application_id: int):
    application = application_or_404(application_id)
    return render_template("enrolment/statement.html", application=application,
                           balance=services.balance_cents(application),
                           monthly=services.monthly_fee_cents(application),
                           charge_form=ChargeForm(application=application, today=local_today()),
                           payment_form=PaymentForm(application=application), hardship_form=HardshipDecisionForm())


# --- Class teachers ---

# The review queue: what waits for the class teacher first (a returned application sent again among them), then
# what waits for the family, then what is decided.
REVIEW_ORDER = (ApplicationStatus.SUBMITTED, ApplicationStatus.RETURNED, ApplicationStatus.CONFIRMED,
                ApplicationStatus.APPROVED, ApplicationStatus.WITHDRAWN)


@bp.route("/review")
@roles_required(class_teacher=True)
def review():
    class_ids = [c.id for c in current_user.classes_led]
    applications = sorted(db.session.scalars(
        db.select(Application).join(Student).filter(Student.class_id.in_(class_ids)).order_by(Application.id)
    ), key=lambda a: REVIEW_ORDER.index(a.status))
    classes = db.session.scalars(db.select(SchoolClass).filter(SchoolClass.id.in_(class_ids))).all()
    return render_template("enrolment/review.html", applications=applications, classes=classes,
                           action_form=ConfirmForm())


@bp.route("/applications/<int:application_id>/confirm", methods=["POST"])
@roles_required(class_teacher=True)
def confirm(application_id: int):
    application = application_or_404(application_id)
    if ConfirmForm().validate_on_submit():
        if application.status is not ApplicationStatus.SUBMITTED:
            flash(_("Only a submitted application can be confirmed."), "error")
        else:
            services.confirm_application(application, current_user)
            db.session.commit()
            flash(_("Confirmed: %(name)s.", name=application.student.name), "success")
    return redirect(url_for("enrolment.review"))


@bp.route("/applications/<int:application_id>/return", methods=["POST"])
@roles_required(class_teacher=True)
def return_application(application_id: int):
    application = application_or_404(application_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash(_("Please give a reason."), "error")
    elif application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.CONFIRMED):
        flash(_("This application cannot be returned now."), "error")
    else:
        services.return_application(application, current_user, form.reason.data)
        db.session.commit()
        flash(_("Returned to the guardian."), "success")
    return redirect(url_for("enrolment.review"))


# --- Principals ---


@bp.route("/offerings/<int:offering_id>")
@admin_only
def approvals(offering_id: int):
    offering = get_for_school_or_404(Offering, offering_id)
    bring_up_to_date(offering)
    applications = db.session.scalars(db.select(Application).filter_by(offering_id=offering.id)
                                      .order_by(Application.status, Application.id)).all()
    lotteries = db.session.scalars(db.select(Lottery).filter_by(offering_id=offering.id)
                                   .order_by(Lottery.id.desc())).all()
    return render_template("enrolment/approvals.html", offering=offering, applications=applications,
                           lotteries=lotteries, form=ApproveForm(),
                           show_reasons=may_see_draw(current_user, None),
                           reasons={c.id: explain_choice(c, viewer=current_user) for a in applications
                                    for c in a.choices})


@bp.route("/offerings/<int:offering_id>/approve", methods=["POST"])
@admin_only
def approve(offering_id: int):
    offering = get_for_school_or_404(Offering, offering_id)
    form = ApproveForm()
    if form.validate_on_submit():
        count = services.approve_offering(offering, current_user)
        db.session.commit()
        flash(_("%(count)d applications approved.", count=count), "success")
    return redirect(url_for("enrolment.approvals", offering_id=offering.id))


@bp.route("/applications/<int:application_id>/charge", methods=["POST"])
@fees_only
def charge(application_id: int):
    application = application_or_404(application_id)
    form = ChargeForm(application=application, today=local_today())
    if form.validate_on_submit():
        services.charge(application, form.first_month.data, form.months.data, current_user)
        db.session.commit()
        flash(_("Charged."), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("enrolment.statement", application_id=application.id))


@bp.route("/applications/<int:application_id>/payment", methods=["POST"])
@fees_only
def payment(application_id: int):
    application = application_or_404(application_id)
    form = PaymentForm(application=application)
    if form.validate_on_submit():
        services.record_payment(application, form.cents(), form.reference.data or "", current_user)
        db.session.commit()
        flash(_("Payment recorded."), "success")
    else:
        for error in form.amount.errors or [_("Please give the amount received.")]:
            flash(error, "error")
    return redirect(url_for("enrolment.statement", application_id=application.id))


@bp.route("/applications/<int:application_id>/hardship", methods=["POST"])
@fees_only
def hardship(application_id: int):
    application = application_or_404(application_id)
    form = HardshipDecisionForm()
    if form.validate_on_submit():
        services.decide_hardship(application, form.decision.data == "approve", current_user, form.reason.data or "")
        db.session.commit()
        flash(_("Decision recorded."), "success")
    return redirect(url_for("enrolment.statement", application_id=application.id))


@bp.route("/finance")
@fees_only
def finance():
    """The school's applications with what each family owes, hardship waiver requests first."""
    applications = db.session.scalars(
        db.select(Application).filter_by(school_id=current_user.school_id)
        .options(selectinload(Application.ledger), selectinload(Application.student),
                 selectinload(Application.offering))
        .order_by(Application.id.desc())
    ).all()
    rows = sorted(((a, services.balance_cents(a)) for a in applications),
                  key=lambda row: row[0].hardship is not HardshipStatus.REQUESTED)
    return render_template("enrolment/finance.html", rows=rows)


@bp.route("/audit")
@admin_only
def audit_trail():
    query = db.select(AuditEvent).filter_by(school_id=current_user.school_id)
    if not need_to_know.handles_fees(current_user):  # a coordinator: hardship decisions are not theirs to see
        query = query.filter(AuditEvent.action.not_like("hardship%"))
    events = db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(300)).all()
    return render_template("enrolment/audit.html", events=events)


# --- Everyone ---


def lottery_or_404(lottery_id: int) -> Lottery:
    """A draw the current user may see. Its record shows each ticket's priority groups (hardship among them), so:
    the principal and finance of its school, and the families with an application in it (to check it themselves);
    class teachers and coordinators, who could tie tickets to children of their classes, may not."""
    record = db.session.get(Lottery, lottery_id)
    if record is None:
        abort(404)
    if current_user.role is Role.GUARDIAN:
        children = need_to_know.confirmed_child_ids(current_user)
        allowed = db.session.scalar(db.select(Application.id).filter(
            Application.offering_id == record.offering_id, Application.student_id.in_(children)).limit(1)) is not None
    else:
        allowed = need_to_know.handles_fees(current_user) and current_user.school_id == record.school_id
    if not allowed:
        abort(404)
    return record


@bp.route("/lotteries/<int:lottery_id>")
@roles_required(Role.GUARDIAN, Role.FINANCE, principal=True)
def lottery(lottery_id: int):
    """A recorded draw: its seed, inputs and result, and whether re-running it gives the same."""
    record = lottery_or_404(lottery_id)
    own_tickets = {}
    if current_user.role is Role.GUARDIAN:  # the family finds its own children's tickets in the order
        children = need_to_know.confirmed_child_ids(current_user)
        own_tickets = {a.ticket: a.student.name for a in db.session.scalars(db.select(Application).filter(
            Application.offering_id == record.offering_id, Application.student_id.in_(children)))}
    return render_template("enrolment/lottery.html", record=record, same=allocation.rerun_lottery(record),
                           own_tickets=own_tickets)


@bp.route("/lotteries/<int:lottery_id>.json")
@roles_required(Role.GUARDIAN, Role.FINANCE, principal=True)
def lottery_record(lottery_id: int):
    """A recorded draw to download and re-run: python -m app.enrolment.lottery RECORD.json."""
    record = lottery_or_404(lottery_id)
    audit.export("draw_record", f"#{record.id} {record.offering.title}", record.school_id)
    db.session.commit()
    body = {"lottery": record.id, "offering": record.offering.title, "drawn_at": record.run_at.isoformat(),
            "seed": record.seed, "inputs": record.inputs, "result": record.result}
    return jsonify(body)


@bp.route("/inbox")
@login_required
def inbox():
    """The inbox's old address (it lives with the notifications now)."""
    return redirect(url_for("notifications.inbox"))


@bp.app_template_global()
def enrolment_applications(student: Student) -> list[Application]:
    """A child's applications, newest first, for a guardian the school confirmed (nothing otherwise)."""
    if student.id not in need_to_know.confirmed_child_ids(current_user):
        return []
    return list(db.session.scalars(db.select(Application).filter_by(student_id=student.id)
                                   .order_by(Application.id.desc())))
