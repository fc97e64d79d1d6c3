"""Reading the development SMS outbox in tests (what a user would read on their phone)."""

import re

from app.messaging import sms


def last_sms(mobile: str) -> str | None:
    """The newest message sent to the number, or None."""
    for message in sms.outbox():
        if message.mobile == mobile:
            return message.text
    return None


def sent_code(mobile: str) -> str | None:
    """The 6-digit code in the newest message to the number, or None when that message has none."""
    text = last_sms(mobile)
    match = re.search(r"\d{6}", text or "")
    return match.group(0) if match else None
