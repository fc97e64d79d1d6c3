"""Pickup codes: each listed adult's personal code, a new one every day, derived (never stored) from the adult's
secret, the day and the site's SECRET_KEY; removing an adult or giving them a new secret ends their codes."""

import hashlib
import hmac
from datetime import date

from flask import current_app

from app.daily.models import PickupAdult
from scheduling.policy import PICKUP_CODE_DIGITS


def code_for(adult: PickupAdult, day: date) -> str:
    """The adult's pickup code on a day (school time), PICKUP_CODE_DIGITS digits."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"{adult.secret}:{day.isoformat()}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10**PICKUP_CODE_DIGITS).zfill(PICKUP_CODE_DIGITS)


def matches(adult: PickupAdult, day: date, typed: str) -> bool:
    """Whether a typed code is the adult's code of the day (constant-time comparison)."""
    return hmac.compare_digest(code_for(adult, day), (typed or "").strip())
