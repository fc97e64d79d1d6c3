"""Matrix cases for notifications: every logged-in person's inbox and message settings."""

from tests.authz import EVERY_USER, Case

CASES = [
    Case("notifications.inbox", EVERY_USER),
    Case("notifications.mark_read", EVERY_USER, method="POST", ok=302),
    Case("notifications.settings", EVERY_USER),
    Case("notifications.settings", EVERY_USER, method="POST", ok=302,
         data=lambda world, which: {"email": "", "sms": "urgent", "quiet_hours": "y"}),
]
