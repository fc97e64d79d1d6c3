"""Matrix cases for privacy: a guardian reaches only their own family's consent, data and deletion; staff never do."""

from tests.authz import EVERYONE, Case
from tests.authz.enrolment import application_args

GUARDIAN = frozenset({"guardian"})

CASES = [
    Case("privacy.withdraw_health_consent", GUARDIAN, method="POST", ok=302, scoped=True, args=application_args),
    Case("privacy.my_data", GUARDIAN),
    Case("privacy.my_data_json", GUARDIAN),
    Case("privacy.my_data_xlsx", GUARDIAN),
    Case("privacy.delete_account", GUARDIAN),
    Case("privacy.delete_account", GUARDIAN, method="POST"),
    Case("privacy.notice", EVERYONE),
    Case("privacy.accept_notice", GUARDIAN, method="POST", ok=302),
    Case("privacy.publish_notice", frozenset({"county_officer"})),
    Case("privacy.publish_notice", frozenset({"county_officer"}), method="POST"),
]
