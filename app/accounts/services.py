"""Account work: loading, registering, authenticating, changing passwords. Services flush; the request commits."""

import logging
from functools import cache

from flask import g, has_request_context, request
from sqlalchemy import Select
from sqlalchemy.orm import defaultload, joinedload

from app.accounts import passwords, verification
from app.accounts.models import CodePurpose, GuardianLink, Role, User
from app.audit import services as audit
from app.extensions import db
from app.messaging.sms import send_template
from app.models_base import utcnow

logger = logging.getLogger(__name__)

# Blueprints whose pages never read a guardian's family (public notices, messages, the account's own pages, ops):
# their requests load the account alone. Should one read it after all, it comes in one statement then.
WITHOUT_FAMILY = frozenset({"programs", "notifications", "accounts", "ops", "messaging", "transparency"})


def family(load=joinedload):
    """What a logged-in page reads of a guardian's family: links, children, their classes, grades, class teachers and
    schools, all in one statement, never one by one. `load`: joinedload, with the account's own statement (staff have
    no links, so the join costs them nothing); defaultload, in one statement of its own the first time a page reads
    the links (a loaded child, class or school costs about as much CPU as a statement: pages that do not read them
    should not pay for them)."""
    from app.schools.models import SchoolClass, Student  # the schools package imports this one's users: at call time

    return load(User.guardian_links).joinedload(GuardianLink.student).options(
        joinedload(Student.school_class).options(joinedload(SchoolClass.grade), joinedload(SchoolClass.class_teacher)),
        joinedload(Student.school))


@cache
def account_statement(with_family: bool = True) -> Select:
    """The account, whether it accepted the current privacy notice (asked before a guardian's enrolment pages), how
    many of its messages are unread (the menu's badge) and, `with_family`, its family, in one statement (else the
    family comes when first read); built once per process (its cache key too), the id bound at each request."""
    from app.notifications.models import Notification
    from app.privacy.services import accepted_current

    unread = db.select(db.func.count(Notification.id)).filter(
        Notification.user_id == User.id, Notification.read_at.is_(None)).correlate(User).scalar_subquery()
    return (db.select(User, accepted_current(User.id), unread).filter(User.id == db.bindparam("user_id"))
            .options(family(joinedload if with_family else defaultload)).execution_options(prepare=True))


def load_user(cookie_id: str) -> User | None:
    """Flask-Login loader: the cookie holds 'id:token'; a stale token means the session was ended."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    with_family = not has_request_context() or request.blueprint not in WITHOUT_FAMILY
    row = db.session.execute(account_statement(with_family), {"user_id": int(user_id)}).unique().first()
    if row is None:
        return None
    user, accepted, unread = row
    user.accepted_current_notice = bool(accepted)
    if has_request_context():
        g.unread_count = unread or 0  # notifications.routes.unread_count
    if user.session_token != token or not user.is_active:  # a suspended provider's staff too
        return None
    return user


@cache
def _account_by_mobile() -> Select:
    """Built once per process (its cache key too), the number bound at each login."""
    return db.select(User).filter(User.mobile == db.bindparam("mobile")).execution_options(prepare=True)


def authenticate(mobile: str, password: str) -> User | None:
    """The active account with this mobile number and password, or None."""
    user = db.session.scalars(_account_by_mobile(), {"mobile": mobile}).first()
    if user is None:
        passwords.burn_verification(password)  # the same cost as a known number: timing tells nothing
    if user is None or not user.check_password(password) or not user.is_active_account:
        logger.info("failed login for mobile ending %s", mobile[-4:])
        audit.security("login_failed", user, subject=verification.mask(mobile))  # user: the number's account, if any
        return None
    user.last_login_at = utcnow()
    return user


def start_registration(name: str, mobile: str, password: str) -> None:
    """Send a code that proves the number; a number that has an account gets a warning instead, with the way back.

    The answer on the page is the same either way ("we sent a code"), and so is the work (one password hash, one
    SMS), so neither the page nor its timing says whether the number is registered.
    """
    password_hash = passwords.hash_password(password)
    if verification.account_with(mobile) is not None:
        send_template(mobile, "number_taken", {})
        logger.info("registration attempted for a registered mobile ending %s", mobile[-4:])
        return
    verification.issue_code(mobile, CodePurpose.REGISTER, name=name, password_hash=password_hash)


def complete_registration(mobile: str, code: str) -> User | None:
    """Create the guardian's account if the code sent to the number is right (None: wrong, expired or used up)."""
    pending = verification.redeem_code(mobile, CodePurpose.REGISTER, code)
    if pending is None or verification.account_with(mobile) is not None:
        return None
    user = User(name=pending.name, mobile=mobile, role=Role.GUARDIAN, password_hash=pending.password_hash)
    db.session.add(user)
    db.session.flush()
    logger.info("guardian %s registered (mobile proved by code)", user.id)
    return user


def start_password_reset(mobile: str) -> None:
    """Send a reset code if the number has an active account; the page answers the same whether it has or not."""
    user = verification.account_with(mobile)
    if user is None or not user.is_active_account:
        logger.info("password reset asked for an unknown or inactive mobile ending %s", mobile[-4:])
        return
    verification.issue_code(mobile, CodePurpose.RESET_PASSWORD, user_id=user.id)


def reset_password(mobile: str, code: str, new_password: str) -> User | None:
    """Set a new password when the code sent to the number is right; every session of the account ends."""
    redeemed = verification.redeem_code(mobile, CodePurpose.RESET_PASSWORD, code)
    user = verification.account_with(mobile) if redeemed is not None else None
    if user is None or user.id != redeemed.user_id or not user.is_active_account:
        return None
    user.set_password(new_password)
    audit.security("password_reset", user)
    logger.info("user %s reset their password by SMS code", user.id)
    return user


def start_mobile_change(user: User, new_mobile: str) -> None:
    """Send a code to the new number, if no account holds it (the page does not say whether one does)."""
    if verification.account_with(new_mobile) is not None:
        logger.info("user %s asked to move to a registered mobile ending %s", user.id, new_mobile[-4:])
        return
    verification.issue_code(new_mobile, CodePurpose.CHANGE_MOBILE, user_id=user.id)


def change_mobile(user: User, new_mobile: str, code: str) -> bool:
    """Make the proved number the account's login; the old number is told, and other sessions end."""
    redeemed = verification.redeem_code(new_mobile, CodePurpose.CHANGE_MOBILE, code)
    if redeemed is None or redeemed.user_id != user.id or verification.account_with(new_mobile) is not None:
        return False
    old_mobile = user.mobile
    user.mobile = new_mobile
    user.rotate_session_token()
    send_template(old_mobile, "mobile_changed", {"mobile": verification.mask(new_mobile)})
    audit.security("mobile_changed", user, subject=f"{verification.mask(old_mobile)} → {verification.mask(new_mobile)}")
    logger.info("user %s changed their mobile number", user.id)
    return True


def create_finance_officer(school, name: str, mobile: str, password: str) -> User:
    """A school's finance officer: fee statements, payments and hardship waivers, nothing else of the school."""
    user = User(name=name, mobile=mobile, role=Role.FINANCE, school=school)
    user.set_password(password, by_administrator=True)
    db.session.add(user)
    db.session.flush()
    logger.info("school %s: finance officer %s created", school.id, user.id)
    return user


def change_password(user: User, new_password: str) -> None:
    """Set a new password; every other session of the account ends with the old token."""
    user.set_password(new_password)


def end_sessions(user: User) -> None:
    """Log the account out everywhere (a copied cookie stops working)."""
    user.rotate_session_token()
