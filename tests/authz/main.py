"""Matrix cases for the public pages, the dashboard and accounts."""

from tests.authz import EVERY_USER, EVERYONE, Case

CASES = [
    Case("main.index", EVERYONE, overrides={role: 302 for role in EVERY_USER}),
    Case("main.dashboard", EVERY_USER),
    Case("main.set_language", EVERYONE, method="POST", ok=302, data=lambda world, which: {"locale": "en"}),
    Case("main.healthz", EVERYONE),
    Case("accounts.login", EVERYONE, overrides={role: 302 for role in EVERY_USER}),
    Case("accounts.register", EVERYONE, overrides={role: 302 for role in EVERY_USER}),
    Case("accounts.login", EVERYONE, method="POST", overrides={role: 302 for role in EVERY_USER}),
    Case("accounts.register", EVERYONE, method="POST", overrides={role: 302 for role in EVERY_USER}),
    Case("accounts.change_password", EVERY_USER),
    Case("accounts.change_password", EVERY_USER, method="POST"),
    Case("accounts.logout", EVERY_USER, method="POST", ok=302),
]
