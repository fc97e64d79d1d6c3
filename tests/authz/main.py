"""Matrix cases for the public pages, the dashboard and accounts."""

from tests.authz import EVERY_USER, EVERYONE, Case

CASES = [
    Case("main.index", EVERYONE, overrides={role: 302 for role in EVERY_USER}),
    Case("main.dashboard", EVERY_USER),
    Case("main.set_language", EVERYONE, method="POST", ok=302, data=lambda world, which: {"locale": "en"}),
    Case("accounts.login", EVERYONE, overrides={role: 302 for role in EVERY_USER}),
    Case("accounts.register", EVERYONE, overrides={role: 302 for role in EVERY_USER}),
    Case("accounts.login", EVERYONE, method="POST", overrides={role: 302 for role in EVERY_USER}),
    Case("accounts.register", EVERYONE, method="POST", overrides={role: 302 for role in EVERY_USER}),
    # The code pages send back to the form when no code was asked for in this browser (and users to the dashboard).
    Case("accounts.register_verify", EVERYONE, ok=302),
    Case("accounts.register_verify", EVERYONE, method="POST", ok=302),
    Case("accounts.forgot_password", EVERYONE, overrides={role: 302 for role in EVERY_USER}),
    Case("accounts.forgot_password", EVERYONE, method="POST", overrides={role: 302 for role in EVERY_USER}),
    Case("accounts.reset_password", EVERYONE, ok=302),
    Case("accounts.reset_password", EVERYONE, method="POST", ok=302),
    Case("accounts.change_mobile", EVERY_USER),
    Case("accounts.change_mobile", EVERY_USER, method="POST"),
    Case("accounts.change_mobile_verify", EVERY_USER, ok=302),
    Case("accounts.change_mobile_verify", EVERY_USER, method="POST", ok=302),
    Case("accounts.change_password", EVERY_USER),
    Case("accounts.change_password", EVERY_USER, method="POST"),
    Case("accounts.logout", EVERY_USER, method="POST", ok=302),
    Case("messaging.outbox", EVERYONE),  # development and tests only (never registered in production)
]
