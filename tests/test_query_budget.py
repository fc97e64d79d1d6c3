"""The sign-up journey reads the database a few times per page, however many activities, children and applications
there are (no statement per row creeps back), and the public notice's cached parts follow a publish and every change
of places at once, also when the change was made through another web node sharing the database."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from app.enrolment import allocation
from app.enrolment.models import Application
from app.extensions import db as _db
from app.programs.models import AllocationMode, Offering
from app.programs.services import publish_offering
from tests import factories
from tests.conftest import build_app, dispose_engines

pytestmark = pytest.mark.both_databases

PAGE_BUDGET = 8  # SQL statements a page of the journey may send, whatever the data
# Sending an application stays within a page's budget on PostgreSQL: the account (with the privacy acceptance), the
# offering, the family's applications, then one INSERT each for the application, its choices, the audit event and
# the guardian's and class teacher's messages, their choices read in one statement. SQLite's driver sends one INSERT
# per row whose id the ORM needs back: two more choices and one more message here.
SQLITE_ROWS_ONE_BY_ONE = 3
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@contextmanager
def counted():
    """The statements sent to the database inside the block."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def token(response) -> str:
    return TOKEN.search(response.get_data(as_text=True)).group(1)


def family_and_offering():
    """A guardian with three confirmed children at one school (one of whom applied already), an offering with six
    activities (one in two groups) and thirty other applications: enough rows for a statement per row to show."""
    school = factories.create_school()
    classes = [factories.create_class(school, grade_number=grade) for grade in (2, 3, 4)]
    for school_class in classes:
        school_class.class_teacher = factories.create_teacher(school)
    children = [factories.create_student(school_class) for school_class in classes]
    guardian = factories.create_guardian(children[0])
    for child in children[1:]:
        factories.create_guardian(child)  # a second guardian for each, as families have
        guardian.guardian_links.append(type(guardian.guardian_links[0])(
            student=child, relationship_kind=guardian.guardian_links[0].relationship_kind, verified=True))
    offering = factories.create_offering(school)
    activities = [factories.create_activity(offering, capacity=30, name=f"活动{k}") for k in range(6)]
    factories.create_activity(offering, capacity=10, section_of_id=activities[0].id)
    factories.create_application(children[2], offering, guardian=guardian, choices=activities[:3])
    other_class = factories.create_class(school, grade_number=3, number=2)
    for k in range(30):
        factories.create_application(factories.create_student(other_class), offering, choices=activities[k % 6:][:3])
    _db.session.flush()
    publish_offering(offering, factories.create_school_admin(school), "")
    _db.session.commit()
    return guardian, children, offering, activities


@pytest.mark.settings(WTF_CSRF_ENABLED=True)
def test_each_page_of_the_sign_up_journey_sends_few_statements(app, client, backend):
    guardian, children, offering, activities = family_and_offering()
    mobile, child_id, child_name, other_name = guardian.mobile, children[0].id, children[0].name, children[1].name
    offering_id, title, wanted = offering.id, offering.title, [a.id for a in activities[3:6]]
    notice_path = f"/programs/notice/offering/{offering.id}/v{offering.published_version}"
    apply_path = f"/enrolment/apply/{child_id}/{offering_id}"
    _db.session.remove()  # the pages load what they need themselves
    sent: dict[str, int] = {}

    with counted() as statements:
        page = client.get("/account/login")
    sent["login page"] = len(statements)
    with counted() as statements:
        response = client.post("/account/login", data={"csrf_token": token(page), "mobile": mobile,
                                                       "password": factories.PASSWORD})
    assert response.status_code == 302
    sent["login"] = len(statements)
    with counted() as statements:
        notice = client.get(notice_path)
    assert notice.status_code == 200 and title in notice.get_data(as_text=True)
    sent["notice"] = len(statements)
    with counted() as statements:
        form = client.get(apply_path)
    assert form.status_code == 200
    assert other_name in form.get_data(as_text=True)  # the other children are offered on the page
    sent["form"] = len(statements)
    with counted() as statements:
        applied = client.post(apply_path, data={
            "csrf_token": token(form), "weekdays": ["0", "1", "2", "3", "4"], "choice_1": str(wanted[0]),
            "choice_2": str(wanted[1]), "choice_3": str(wanted[2]), "pickup": "collected",
            "pickup_people": "母亲 王芳", "agree": "y"})
    assert applied.status_code == 302, applied.get_data(as_text=True)[:2000]
    sent["apply"] = len(statements)
    apply_reads = sum(1 for statement in statements if statement.lstrip().upper().startswith("SELECT"))
    with counted() as statements:
        page = client.get(applied.headers["Location"])
    assert page.status_code == 200 and child_name in page.get_data(as_text=True)
    sent["application"] = len(statements)

    apply_budget = PAGE_BUDGET + (SQLITE_ROWS_ONE_BY_ONE if backend == "sqlite" else 0)
    assert {step: n for step, n in sent.items() if n > (apply_budget if step == "apply" else PAGE_BUDGET)} == {}, sent
    assert apply_reads <= PAGE_BUDGET, apply_reads
    stored = _db.session.scalar(_db.select(Application).filter_by(student_id=child_id, offering_id=offering_id))
    assert [c.activity_id for c in stored.choices] == wanted


def test_the_form_without_a_privacy_acceptance_still_sends_the_guardian_to_the_notice(app, client, login):
    """The one-statement acceptance check still says no when the current version was not accepted."""
    guardian, children, offering, _ = family_and_offering()
    late = factories.create_guardian(children[0], accepted_notice=False)
    _db.session.commit()
    login(late)
    response = client.get(f"/enrolment/apply/{children[0].id}/{offering.id}")
    assert response.status_code == 302 and "/privacy/notice" in response.headers["Location"]


def places_on_notice(client, offering, activity) -> str:
    page = client.get(f"/programs/notice/offering/{offering.id}/v{offering.published_version}")
    assert page.status_code == 200
    found = re.search(rf'data-places-activity="{activity.id}">(\d+)<', page.get_data(as_text=True))
    return found.group(1) if found else None


def test_a_publish_shows_on_the_notice_at_once(app, client, world, db):
    admin = factories.create_school_admin(world.own_school)
    offering = factories.create_offering(world.own_school, published=False)
    offering.title = "秋季课后服务"
    publish_offering(offering, admin, "")
    db.session.commit()
    first = client.get(f"/programs/notice/offering/{offering.id}/v1").get_data(as_text=True)
    newer = f'href="/programs/notice/offering/{offering.id}/v2"'  # the link to a newer version
    assert "秋季课后服务" in first and newer not in first
    offering.title = "秋季课后服务（调整）"
    publish_offering(offering, admin, "改名")
    db.session.commit()
    old = client.get(f"/programs/notice/offering/{offering.id}/v1").get_data(as_text=True)
    new = client.get(f"/programs/notice/offering/{offering.id}/v2").get_data(as_text=True)
    assert newer in old and "data-places-url" not in old  # the old version shows no live places
    assert "秋季课后服务（调整）" in new and "改名" in new


def test_places_left_on_the_notice_follow_a_place_taken_and_given_back_at_once(app, client, world, db):
    offering = factories.create_offering(world.own_school, published=False, allocation=AllocationMode.FIRST_COME)
    football = factories.create_activity(offering, capacity=5, name="足球")
    publish_offering(offering, factories.create_school_admin(world.own_school), "")
    application = factories.create_application(world.own_student, offering, choices=[football])
    db.session.commit()
    assert places_on_notice(client, offering, football) == "5"
    allocation.place_on_arrival(application)
    db.session.commit()
    assert places_on_notice(client, offering, football) == "4"
    allocation.release_application(application, "withdrawn", None)
    db.session.commit()
    assert places_on_notice(client, offering, football) == "5"


@pytest.fixture
def two_nodes(backend, request, tmp_path):
    """Two apps (as two web nodes: each its own engine and cache) on one database."""
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    first, second = build_app(url), build_app(url)
    with first.app_context():
        if backend == "postgresql":
            from tests.conftest import empty_tables

            empty_tables()
        else:
            _db.create_all()
    yield first, second
    for node in (first, second):
        with node.app_context():
            _db.session.remove()
            dispose_engines()


def test_a_change_made_through_another_node_shows_on_this_node_at_once(two_nodes):
    first, second = two_nodes
    with first.app_context():
        school = factories.create_school()
        student = factories.create_student(factories.create_class(school))
        other = factories.create_student(factories.create_class(school, number=2))
        admin = factories.create_school_admin(school)
        offering = factories.create_offering(school, published=False, allocation=AllocationMode.FIRST_COME)
        offering.title = "寒假托管"
        football = factories.create_activity(offering, capacity=3, name="足球")
        publish_offering(offering, admin, "")
        applications = [factories.create_application(child, offering, choices=[football]) for child in (student, other)]
        _db.session.commit()
        ids = offering.id, football.id, admin.id, [a.id for a in applications]
    offering_id, football_id, admin_id, application_ids = ids
    reader = first.test_client()

    def page() -> str:
        return reader.get(f"/programs/notice/offering/{offering_id}/v1").get_data(as_text=True)

    def places() -> tuple[str, str]:
        text = page()
        return re.search(rf'data-places-activity="{football_id}">(\d+)<', text).group(1), text

    assert places()[0] == "3"
    with second.app_context():  # the other node places both children, then one withdraws
        for application_id in application_ids:
            allocation.place_on_arrival(_db.session.get(Application, application_id))
        _db.session.commit()
    assert places()[0] == "1"
    with second.app_context():
        allocation.release_application(_db.session.get(Application, application_ids[0]), "withdrawn", None)
        _db.session.commit()
    assert places()[0] == "2"
    with second.app_context():
        offering = _db.session.get(Offering, offering_id)
        offering.title = "寒假托管（新）"
        publish_offering(offering, _db.session.get(type(admin), admin_id), "")
        _db.session.commit()
    assert f'href="/programs/notice/offering/{offering_id}/v2"' in page()
    assert "寒假托管（新）" in reader.get(f"/programs/notice/offering/{offering_id}/v2").get_data(as_text=True)
