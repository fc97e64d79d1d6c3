"""On PostgreSQL the sign-up journey's marked reads are prepared once per connection and then only executed, with the
same answers; a new connection prepares them again, and a PREPARE that failed is not taken for done."""

from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.accounts.services import account_statement
from app.extensions import db as _db
from tests.test_query_budget import counted, family_and_offering

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("backend", ["postgresql"], indirect=True)]


def kinds(statements: list[str]) -> list[str]:
    """PREPARE, EXECUTE or text, for each statement sent."""
    return [s.split(maxsplit=1)[0] if s.startswith(("PREPARE kehou_", "EXECUTE kehou_")) else "text"
            for s in statements]


def test_the_journeys_marked_reads_are_prepared_once_and_then_executed(app, client, login, backend):
    guardian, children, offering, activities = family_and_offering()
    apply_path = f"/enrolment/apply/{children[0].id}/{offering.id}"
    notice_path = f"/programs/notice/offering/{offering.id}/v{offering.published_version}"
    names = [child.name for child in children[:2]]  # the page's child, and a sibling it offers
    title, account = offering.title, SimpleNamespace(mobile=guardian.mobile)
    _db.session.remove()
    _db.engine.dispose()  # every request below on connections made for it
    login(account)
    pages = []
    for _ in range(2):
        with counted() as statements:
            notice, form = client.get(notice_path), client.get(apply_path)
        assert notice.status_code == 200 and title in notice.get_data(as_text=True)
        assert form.status_code == 200 and all(name in form.get_data(as_text=True) for name in names)
        pages.append((kinds(statements), form.get_data(as_text=True)))
    (first, first_form), (second, second_form) = pages
    assert first.count("PREPARE") >= 3 and "EXECUTE" not in first, first  # account, notice, offering
    assert "PREPARE" not in second and second.count("EXECUTE") == first.count("PREPARE"), second
    assert len(first) == len(second)  # prepared or not, one statement each
    for name in names:
        assert first_form.count(name) == second_form.count(name)


def test_a_prepared_read_answers_as_the_text_one_and_a_new_connection_prepares_again(app, backend):
    guardian, children, _, _ = family_and_offering()
    plain = account_statement(True).execution_options(prepare=False)

    def account(statement):
        user, accepted, unread = _db.session.execute(statement, {"user_id": guardian.id}).unique().one()
        family = sorted((link.student.name, link.student.school_class.grade.number, link.student.school.name)
                        for link in user.guardian_links)
        _db.session.expunge_all()
        return family, accepted, unread

    expected = account(plain)
    assert len(expected[0]) == 3
    # prepared statements get their generic plan at once (app/prepared.py), text is planned as ever
    assert _db.session.execute(text("SHOW plan_cache_mode")).scalar() == "force_generic_plan"
    for _ in range(2):  # the second on a connection the pool replaced
        with counted() as statements:
            assert account(account_statement(True)) == expected
            assert account(account_statement(True)) == expected
        assert kinds(statements) == ["PREPARE", "EXECUTE"]
        _db.session.connection().invalidate()
        _db.session.rollback()


def test_a_prepare_the_server_refused_is_tried_again_under_a_new_name(app, backend):
    guardian_id = family_and_offering()[0].id
    _db.session.remove()
    _db.engine.dispose()
    with _db.engine.connect() as connection:  # the name the next PREPARE would take is already used there
        connection.exec_driver_sql("PREPARE kehou_1 AS SELECT 1")
        connection.commit()
    with counted() as sent:
        with pytest.raises(DBAPIError, match="kehou_1"):
            _db.session.execute(account_statement(True), {"user_id": guardian_id}).unique().one()
        _db.session.rollback()
        user = _db.session.execute(account_statement(True), {"user_id": guardian_id}).unique().one()[0]
    assert user.id == guardian_id
    assert [s.split(maxsplit=2)[:2] for s in sent] == [["PREPARE", "kehou_1"], ["PREPARE", "kehou_2"]]
