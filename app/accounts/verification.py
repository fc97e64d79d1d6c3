"""Proving a mobile number: one-time codes sent by SMS for registration, a forgotten password and a change of mobile.

Only a keyed hash of each code is kept (HMAC with SECRET_KEY: a stolen database does not give the codes away). A
code lives ONE_TIME_CODE_LIFETIME, dies after ONE_TIME_CODE_TRIES wrong entries, and a newer code for the same
number and purpose replaces it. The routes rate limit sending and entering per address and per number.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from flask import current_app

from app.accounts.models import CodePurpose, OneTimeCode, User
from app.audit import services as audit
from app.extensions import db
from app.messaging.sms import send_template
from app.models_base import utcnow

logger = logging.getLogger(__name__)

CODE_DIGITS = 6


def mask(mobile: str) -> str:
    """139****5678: enough for the owner to recognise the number, not to read it off a screen."""
    return f"{mobile[:3]}****{mobile[-4:]}"


def _digest(mobile: str, purpose: CodePurpose, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose.value}:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def _open_codes(mobile: str, purpose: CodePurpose):
    return db.select(OneTimeCode).where(OneTimeCode.mobile == mobile, OneTimeCode.purpose == purpose,
                                        OneTimeCode.used_at.is_(None), OneTimeCode.expires_at > utcnow())


def issue_code(mobile: str, purpose: CodePurpose, **fields) -> OneTimeCode:
    """Send a new code to the number (the SMS template for the purpose); earlier open codes for it end."""
    now = utcnow()
    for earlier in db.session.scalars(_open_codes(mobile, purpose)):
        earlier.used_at = now
    # The number's codes of yesterday and before are of no use to anyone: they (and a registration's password hash)
    # go. Today's stay, so tries and replaced codes remain visible for a day.
    db.session.execute(db.delete(OneTimeCode).where(OneTimeCode.mobile == mobile,
                                                    OneTimeCode.expires_at < now - timedelta(days=1)))
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    lifetime = current_app.config["ONE_TIME_CODE_LIFETIME"]
    row = OneTimeCode(mobile=mobile, purpose=purpose, code_hash=_digest(mobile, purpose, code),
                      expires_at=now + lifetime, **fields)
    db.session.add(row)
    db.session.flush()
    send_template(mobile, f"code_{purpose.value}", {"code": code, "minutes": int(lifetime.total_seconds() // 60)})
    audit.security("code_requested", db.session.get(User, fields["user_id"]) if fields.get("user_id") else None,
                   subject=f"{purpose.value} {mask(mobile)}")
    logger.info("one-time code %s (%s) sent to mobile ending %s", row.id, purpose.value, mobile[-4:])
    return row


def redeem_code(mobile: str, purpose: CodePurpose, code: str) -> OneTimeCode | None:
    """The open code for this number if `code` is it (it is then used up); each wrong try counts against it."""
    row = db.session.scalars(_open_codes(mobile, purpose).order_by(OneTimeCode.id.desc())).first()
    if row is None:
        return None
    row.tries += 1
    if row.tries > current_app.config["ONE_TIME_CODE_TRIES"]:
        row.used_at = utcnow()  # too many wrong tries: this code is over, a new one must be asked for
        return None
    if not hmac.compare_digest(row.code_hash, _digest(mobile, purpose, code.strip())):
        return None
    row.used_at = utcnow()
    return row


def account_with(mobile: str) -> User | None:
    return db.session.scalar(db.select(User).filter_by(mobile=mobile))


def purge_expired_codes(now=None) -> int:
    """Delete every code (and a registration's password hash) that expired more than a day ago; how many went."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    return db.session.execute(db.delete(OneTimeCode).where(OneTimeCode.expires_at < cutoff)).rowcount or 0
