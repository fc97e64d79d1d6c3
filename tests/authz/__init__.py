"""The authorization matrix: every route × every role × own/other school, as tables of expected answers.

Each domain keeps its table in `tests/authz/<domain>.py` as a list named CASES. The matrix test
(`tests/test_authorization_matrix.py`) fails when a registered route has no case, so a new route
must say who may use it.

Expected answers:
- a role in `allowed`, on its own school's (or county's) object: `ok` (200 for pages, 302 after a POST);
- a role in `allowed`, on another school's object (`scoped` cases): 404;
- any other logged-in role: 403;
- anonymous: a redirect to the login page, unless "anonymous" is in `allowed` (public pages).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("anonymous", "guardian", "class_teacher", "teacher", "school_admin", "coordinator", "finance",
         "provider_staff", "county_officer")
STAFF_OF_SCHOOL = frozenset({"class_teacher", "teacher", "school_admin", "coordinator", "finance"})
# "school_admin" is the principal; a coordinator is a school administrator too, and may do what the principal
# does except what need-to-know keeps to the principal and finance (fees and hardship waivers).
SCHOOL_ADMINS = frozenset({"school_admin", "coordinator"})
PRINCIPAL_AND_FINANCE = frozenset({"school_admin", "finance"})
EVERY_USER = frozenset(ROLES) - {"anonymous"}
EVERYONE = frozenset(ROLES)


def no_args(world, which: str) -> dict:
    return {}


def no_data(world, which: str) -> dict:
    return {}


@dataclass(frozen=True)
class Case:
    """One route's expectations. `args`/`data` build URL values and form data for 'own' or 'other'."""

    endpoint: str
    allowed: frozenset[str]
    method: str = "GET"
    ok: int = 200
    scoped: bool = False
    args: Callable = no_args
    data: Callable = no_data
    # For roles that reach a page but are sent elsewhere on purpose (e.g. logged-in users on /account/login).
    overrides: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.endpoint, self.method)
