"""Matrix cases for the access and security log: the principal (own school) and the county officer (own county)."""

from tests.authz import Case

CASES = [
    Case("audit.log", frozenset({"school_admin", "county_officer"})),
]
