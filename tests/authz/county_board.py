"""Matrix cases for the county board: the county's page and exports for its officer; a school's and a class's
pages and exports for the county's officer and that school's principal (coordinators and others: 403; another
county's school or class: 404)."""

from tests.authz import Case

OFFICER = frozenset({"county_officer"})
OFFICER_AND_PRINCIPAL = frozenset({"county_officer", "school_admin"})


def _school(world, which):
    return {"school_id": (world.own_school if which == "own" else world.far_school).id}


def _class(world, which):
    from tests import factories

    if which == "own":
        return {"class_id": world.own_class.id}
    return {"class_id": factories.create_class(world.far_school).id}


def _with_term(world) -> None:
    """Every school the page may be asked about has a term (a board without any term is a 404)."""
    from app.extensions import db
    from tests import factories

    for school in (world.own_school, world.far_school):
        if not school.terms:
            factories.create_term(school)
    db.session.commit()


def _county_with_term(world, which):
    _with_term(world)
    return {}


def _school_with_term(world, which):
    _with_term(world)
    return _school(world, which)


def _class_with_term(world, which):
    args = _class(world, which)
    _with_term(world)
    return args


CASES = [
    Case("county.board_index", OFFICER, args=_county_with_term),
    Case("county.board_xlsx", OFFICER, args=_county_with_term),
    Case("county.board_school", OFFICER_AND_PRINCIPAL, scoped=True, args=_school_with_term),
    Case("county.board_school_xlsx", OFFICER_AND_PRINCIPAL, scoped=True, args=_school_with_term),
    Case("county.board_class", OFFICER_AND_PRINCIPAL, scoped=True, args=_class_with_term),
    Case("county.board_class_xlsx", OFFICER_AND_PRINCIPAL, scoped=True, args=_class_with_term),
]
