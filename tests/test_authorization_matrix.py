"""Every registered route × every role × own/other school gets the expected answer (see tests/authz)."""

import importlib
import pkgutil

import pytest
from flask import url_for

import tests.authz as authz
from app import create_app
from tests.authz import ROLES, Case


def all_cases() -> list[Case]:
    cases = []
    for module in pkgutil.iter_modules(authz.__path__):
        cases.extend(importlib.import_module(f"tests.authz.{module.name}").CASES)
    return cases


CASES = all_cases()

# Every case runs on SQLite and on PostgreSQL: the two disagree on types, constraints and ordering.
pytestmark = pytest.mark.both_databases


@pytest.fixture
def app(shared_app):
    """The cases only send requests: one app per database for all of them, an empty database for each."""
    return shared_app


def registered_routes() -> set[tuple[str, str]]:
    app = create_app("testing")
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((rule.endpoint, method))
    return routes


def test_every_route_is_in_the_matrix():
    covered = {case.key for case in CASES}
    missing = registered_routes() - covered
    assert not missing, f"routes without an authorization case in tests/authz/: {sorted(missing)}"
    stale = covered - registered_routes()
    assert not stale, f"cases for routes that no longer exist: {sorted(stale)}"


def test_cases_are_unique():
    keys = [case.key for case in CASES]
    assert len(keys) == len(set(keys))


def expected_status(case: Case, role: str, which: str) -> int:
    if role in case.overrides:
        return case.overrides[role]
    if role == "anonymous":
        return case.ok if "anonymous" in case.allowed else 302
    if role not in case.allowed:
        return 403
    if case.scoped and which == "other":
        return 404
    return case.ok


def matrix_params():
    for case in CASES:
        for role in ROLES:
            for which in (("own", "other") if case.scoped else ("own",)):
                yield pytest.param(case, role, which, id=f"{case.endpoint}-{case.method}-{role}-{which}")


@pytest.mark.parametrize(("case", "role", "which"), list(matrix_params()))
def test_matrix(app, client, world, login, case: Case, role: str, which: str):
    if role != "anonymous":
        login(world.users[role])
    with app.test_request_context():
        url = url_for(case.endpoint, **case.args(world, which))
    data = case.data(world, which)
    response = client.open(url, method=case.method, data=data)
    expected = expected_status(case, role, which)
    assert response.status_code == expected, (
        f"{role} {case.method} {url} ({which}): got {response.status_code}, expected {expected}"
    )
    if role == "anonymous" and expected == 302 and "anonymous" not in case.allowed and not case.overrides:
        assert "/account/login" in response.headers["Location"]


# --- A guardian's link that no longer holds, and a provider that may no longer work ---

GUARDIAN_SCOPED = [case for case in CASES if "guardian" in case.allowed and case.scoped]
# What a guardian whose link waits for the class teacher may still do with the child's own-school objects: ask to
# apply (told to wait, back to the list) and take the pending link back. Everything else about the child is a 404.
WHILE_UNCONFIRMED = {("enrolment.apply", "GET"): 302, ("enrolment.apply", "POST"): 302,
                     ("schools.unbind_child", "POST"): 302}


def _request(app, client, case: Case, args: dict, data: dict):
    with app.test_request_context():
        url = url_for(case.endpoint, **args)
    return url, client.open(url, method=case.method, data=data)


@pytest.mark.parametrize("link_state", ["rejected", "unconfirmed"])
@pytest.mark.parametrize("case", GUARDIAN_SCOPED, ids=lambda case: f"{case.endpoint}-{case.method}")
def test_a_link_that_does_not_hold_gives_no_access(app, client, world, login, case: Case, link_state: str):
    """The guardian who filed the application, once the class teacher rejected the link (it is deleted), or while
    the link waits for confirmation, gets what a stranger gets: 404 (need_to_know.confirmed_child_ids)."""
    from app.extensions import db
    from app.schools import services as school_services

    guardian = world.users["guardian"]
    login(guardian)
    args, data = case.args(world, "own"), case.data(world, "own")
    [link] = guardian.guardian_links
    if link_state == "rejected":
        link.verified = False  # only a link still waiting can be rejected
        school_services.reject_link(link, world.users["class_teacher"])
    else:
        link.verified = False
    db.session.commit()
    url, response = _request(app, client, case, args, data)
    expected = WHILE_UNCONFIRMED.get(case.key, 404) if link_state == "unconfirmed" else 404
    assert response.status_code == expected, f"{link_state} guardian {case.method} {url}: got {response.status_code}"


@pytest.mark.parametrize("action", ["suspend", "exit"])
@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.endpoint}-{case.method}")
def test_a_suspended_providers_staff_are_logged_out_everywhere(app, client, world, login, case: Case, action: str):
    """Logged in before the county suspends (or exits) their provider, the staff's next request is anonymous."""
    from app.extensions import db
    from app.providers import services as provider_services
    from app.providers.models import ReasonCategory

    staff = world.users["provider_staff"]
    login(staff)
    args, data = case.args(world, "own"), case.data(world, "own")
    change = provider_services.suspend if action == "suspend" else provider_services.exit_whitelist
    change(staff.provider, ReasonCategory.SAFETY, "安全检查不合格", world.users["county_officer"])
    db.session.commit()
    url, response = _request(app, client, case, args, data)
    expected = expected_status(case, "anonymous", "own")
    assert response.status_code == expected, f"suspended staff {case.method} {url}: got {response.status_code}"
    if expected == 302 and "anonymous" not in case.allowed and not case.overrides:
        assert "/account/login" in response.headers["Location"]


def test_a_suspended_providers_staff_feed_is_gone(client, world):
    from app.extensions import db
    from app.providers import services as provider_services
    from app.providers.models import ReasonCategory

    staff = world.users["provider_staff"]
    feed = f"/calendar/{staff.staff_profile.calendar_token}.ics"
    assert client.get(feed).status_code == 200
    provider_services.suspend(staff.provider, ReasonCategory.SAFETY, "安全检查不合格", world.users["county_officer"])
    db.session.commit()
    assert client.get(feed).status_code == 404
