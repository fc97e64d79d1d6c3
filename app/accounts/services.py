"""Account work: loading, registering, authenticating, changing passwords. Services flush; the request commits."""

import logging

from app.accounts.models import Role, User
from app.extensions import db
from app.models_base import utcnow

logger = logging.getLogger(__name__)


def load_user(cookie_id: str) -> User | None:
    """Flask-Login loader: the cookie holds 'id:token'; a stale token means the session was ended."""
    user_id, _, token = cookie_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_token != token or not user.is_active:  # a suspended provider's staff too
        return None
    return user


def authenticate(mobile: str, password: str) -> User | None:
    """The active account with this mobile number and password, or None."""
    user = db.session.scalar(db.select(User).filter_by(mobile=mobile))
    if user is None or not user.is_active_account or not user.check_password(password):
        logger.info("failed login for mobile ending %s", mobile[-4:])
        return None
    user.last_login_at = utcnow()
    return user


def register_guardian(name: str, mobile: str, password: str) -> User:
    """Create a guardian's own account."""
    user = User(name=name, mobile=mobile, role=Role.GUARDIAN)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    logger.info("guardian %s registered", user.id)
    return user


def create_finance_officer(school, name: str, mobile: str, password: str) -> User:
    """A school's finance officer: fee statements, payments and hardship waivers, nothing else of the school."""
    user = User(name=name, mobile=mobile, role=Role.FINANCE, school=school)
    user.set_password(password)
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
