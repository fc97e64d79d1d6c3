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
