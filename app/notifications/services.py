"""notify(): the one way to send a person a message (inbox now; channels follow)."""

from app.accounts.models import User


def notify(user: User, subject: str, body: str = "", link: str = "", *, urgent: bool = False,
           sender: User | None = None, school_id: int | None = None):
    """Send `user` a message: it lands in their inbox and goes out through the channels they chose (an urgent one
    — a missing child, an incident — ignores quiet hours). Returns the inbox entry (flushed)."""
    from app.enrolment.records import notify as to_inbox

    return to_inbox(user, subject, body, link)
