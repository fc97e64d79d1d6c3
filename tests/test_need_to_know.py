"""Need to know: hardship only for the family, the principal and finance; health notes only for the family and the
staff on the child's sessions. The pages render in Chinese (the default), so the tests look for the Chinese words."""

from datetime import date

import pytest

from app.accounts.models import Role, User
from app.enrolment import need_to_know
from app.enrolment.models import Application, ApplicationStatus, AuditEvent, HardshipStatus, Seat
from app.extensions import db as _db
from app.models_base import local_today
from tests import factories
from tests.test_myweek import publish_week

pytestmark = pytest.mark.both_databases

MONDAY = date(2026, 11, 23)  # in the factories' term (2026-09-01 – 2027-01-22)
HEALTH_NOTES = "对花生严重过敏"
HARDSHIP_WORDS = ("困难减免", "已申请，待学校审核")  # "Hardship waiver", "requested, the school decides"
HARDSHIP_GROUP = "家庭经济困难"  # the "hardship" priority group
LEFT_BEHIND_GROUP = "留守儿童"  # another priority group, which the class teacher checks


@pytest.fixture
def application(world, db) -> Application:
    """The own child's approved application: a hardship waiver request, two priority groups, health notes."""
    offering = factories.create_offering(world.own_school, priority_groups=("hardship", "left_behind"))
    application = factories.create_application(world.own_student, offering, status=ApplicationStatus.APPROVED,
                                               priority_groups=("hardship", "left_behind"))
    application.hardship = HardshipStatus.REQUESTED
    application.health_notes = HEALTH_NOTES
    db.session.commit()
    return application


@pytest.fixture
def login_as(client, login):
    """Log in as one user after another on the same client."""

    def switch(user):
        client.post("/account/logout")
        return login(user)

    return switch


def page(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.get_data(as_text=True)


def shows_hardship(text: str) -> bool:
    return any(word in text for word in HARDSHIP_WORDS) or HARDSHIP_GROUP in text


# --- Hardship ---


def test_the_principal_sees_hardship_on_the_application_statement_and_finance_pages(client, world, login,
                                                                                   application):
    login(world.users["school_admin"])
    for url in (f"/enrolment/applications/{application.id}", f"/enrolment/applications/{application.id}/statement",
                "/enrolment/finance"):
        status, text = page(client, url)
        assert status == 200, url
        assert all(word in text for word in HARDSHIP_WORDS), url
    _, text = page(client, f"/enrolment/applications/{application.id}")
    assert HARDSHIP_GROUP in text and LEFT_BEHIND_GROUP in text


def test_finance_sees_hardship_on_the_statement_and_finance_pages_and_nothing_else(client, world, login,
                                                                                  application):
    login(world.users["finance"])
    for url in (f"/enrolment/applications/{application.id}/statement", "/enrolment/finance"):
        status, text = page(client, url)
        assert status == 200, url
        assert all(word in text for word in HARDSHIP_WORDS), url
        assert world.own_student.name in text
    assert page(client, "/dashboard")[1].count("/enrolment/finance") >= 1
    assert client.get(f"/enrolment/applications/{application.id}").status_code == 403
    assert client.get(f"/enrolment/offerings/{application.offering_id}").status_code == 403
    assert client.get("/rosters/").status_code == 403


def test_finance_records_a_hardship_decision_and_a_payment(client, world, login, application, db):
    login(world.users["finance"])
    url = f"/enrolment/applications/{application.id}"
    month = local_today().replace(day=1).isoformat()  # a payment needs a charge to pay (no payment beyond it)
    assert client.post(url + "/charge", data={"first_month": month, "months": "1"}).status_code == 302
    assert client.post(url + "/hardship", data={"decision": "approve", "reason": "低保证明"}).status_code == 302
    assert client.post(url + "/payment", data={"amount": "100", "reference": "现金"}).status_code == 302
    db.session.refresh(application)
    assert application.hardship is HardshipStatus.APPROVED
    assert [e.kind.value for e in application.ledger] == ["charge", "payment"]


def test_finance_of_another_school_gets_a_404(client, world, login, application):
    login(world.other_users["finance"])
    assert client.get(f"/enrolment/applications/{application.id}/statement").status_code == 404
    _, text = page(client, "/enrolment/finance")
    assert world.own_student.name not in text


@pytest.mark.parametrize("role", ["class_teacher", "coordinator"])
def test_the_class_teacher_and_a_coordinator_see_the_application_without_hardship(client, world, login, application,
                                                                                  role):
    login(world.users[role])
    status, text = page(client, f"/enrolment/applications/{application.id}")
    assert status == 200
    assert world.own_student.name in text
    assert LEFT_BEHIND_GROUP in text  # the other claimed group is still shown: only hardship is hidden
    assert not shows_hardship(text)
    assert client.get(f"/enrolment/applications/{application.id}/statement").status_code == 403
    assert client.get("/enrolment/finance").status_code == 403


@pytest.mark.parametrize(("role", "url"), [
    ("class_teacher", "/enrolment/review"),
    ("coordinator", "/enrolment/offerings/{offering_id}"),
])
def test_the_class_teachers_review_list_and_the_approvals_list_do_not_show_hardship(client, world, login, application,
                                                                                    role, url):
    login(world.users[role])
    status, text = page(client, url.format(offering_id=application.offering_id))
    assert status == 200 and world.own_student.name in text
    assert not shows_hardship(text)


@pytest.mark.parametrize("who", ["teacher", "other_guardian"])
def test_a_teacher_and_another_family_are_refused(client, world, login, application, who):
    if who == "other_guardian":
        neighbour = factories.create_student(world.own_class)
        user = factories.create_guardian(neighbour)
        _db.session.commit()
        refused = 404
    else:
        user = world.users["teacher"]
        refused = 403
    login(user)
    for url in (f"/enrolment/applications/{application.id}", f"/enrolment/applications/{application.id}/statement"):
        assert client.get(url).status_code == refused, url
    assert client.get("/enrolment/finance").status_code == 403


def test_a_guardian_whose_link_is_unconfirmed_does_not_see_the_application(client, world, login, application):
    waiting = factories.create_guardian(world.own_student, verified=False)
    _db.session.commit()
    login(waiting)
    assert client.get(f"/enrolment/applications/{application.id}").status_code == 404
    assert client.get(f"/enrolment/applications/{application.id}/statement").status_code == 404


def test_the_family_sees_its_own_hardship_request_and_health_notes(client, world, login, application):
    login(world.users["guardian"])
    _, text = page(client, f"/enrolment/applications/{application.id}")
    assert all(word in text for word in HARDSHIP_WORDS) and HARDSHIP_GROUP in text
    assert HEALTH_NOTES in text
    _, text = page(client, f"/enrolment/applications/{application.id}/statement")
    assert all(word in text for word in HARDSHIP_WORDS)


def test_hardship_decisions_are_left_out_of_the_coordinators_audit_trail(client, world, login_as, application):
    _db.session.add(AuditEvent(school_id=application.school_id, actor_id=world.users["finance"].id,
                               action="hardship_approve", object_type="application", object_id=application.id,
                               reason="低保证明"))
    _db.session.commit()
    login_as(world.users["school_admin"])
    assert "hardship_approve" in page(client, "/enrolment/audit")[1]
    login_as(world.users["coordinator"])
    status, text = page(client, "/enrolment/audit")
    assert status == 200 and "hardship_approve" not in text and "低保证明" not in text


# --- Health notes ---


@pytest.fixture
def sessions(world, application):
    """Monday: the child's class session (the own teacher) and another class's session (the provider's staff);
    Tuesday: the child's class again (the class teacher), on a day the application leaves out."""
    application.weekdays = [0, 2, 4]
    other_class = factories.create_class(world.own_school, number=2)
    _db.session.commit()
    users = world.users
    _, [childs, others, tuesday] = publish_week(world.own_school, MONDAY, [
        (0, "15:40", "16:40", "after_school", "homework_help", [users["teacher"].staff_profile], "101",
         [world.own_class]),
        (0, "15:40", "16:40", "after_school", "homework_help", [users["provider_staff"].staff_profile], "102",
         [other_class]),
        (1, "15:40", "16:40", "after_school", "homework_help", [users["class_teacher"].staff_profile], "101",
         [world.own_class]),
    ])
    return {"childs": childs, "others": others, "tuesday": tuesday}


def test_the_teacher_on_the_childs_session_sees_the_health_notes(client, world, login, application, sessions):
    login(world.users["teacher"])
    status, text = page(client, f"/my-week/sessions/{sessions['childs'].id}/children")
    assert status == 200
    assert world.own_student.name in text and HEALTH_NOTES in text
    assert "接送人：妈妈" in text  # how the child goes home (the factory's pickup people)
    assert need_to_know.may_see_health_notes(world.users["teacher"], application)


def test_health_notes_are_absent_for_the_class_teacher_and_the_principal(client, world, login_as, application,
                                                                         sessions):
    for role in ("school_admin", "coordinator", "class_teacher"):
        login_as(world.users[role])
        _, text = page(client, f"/enrolment/applications/{application.id}")
        assert world.own_student.name in text, role
        assert HEALTH_NOTES not in text, role
    assert client.get(f"/my-week/sessions/{sessions['childs'].id}/children").status_code == 404
    # The class teacher's own session is on a Tuesday, a day the child does not come.
    status, text = page(client, f"/my-week/sessions/{sessions['tuesday'].id}/children")
    assert status == 200 and HEALTH_NOTES not in text and world.own_student.name not in text


def test_a_teacher_on_another_session_does_not_see_the_health_notes(client, world, login, application, sessions):
    login(world.users["provider_staff"])
    status, text = page(client, f"/my-week/sessions/{sessions['others'].id}/children")
    assert status == 200 and HEALTH_NOTES not in text
    assert client.get(f"/my-week/sessions/{sessions['childs'].id}/children").status_code == 404
    assert not need_to_know.may_see_health_notes(world.users["provider_staff"], application)


def test_my_week_links_each_session_to_its_children(client, world, login, application, sessions, monkeypatch):
    monkeypatch.setattr("app.myweek.routes.local_today", lambda: MONDAY)
    login(world.users["teacher"])
    _, text = page(client, "/my-week")
    assert f"/my-week/sessions/{sessions['childs'].id}/children" in text


def test_health_notes_go_to_the_staff_of_the_group_the_child_sits_in(client, world, login_as, application):
    """A seat in another group of the chosen activity: that group's session and leader, not the first group's."""
    offering = application.offering
    first = factories.create_activity(offering, name="足球一组", leader=world.users["class_teacher"])
    second = factories.create_activity(offering, name="足球二组", section_of_id=first.id,
                                       leader=world.users["teacher"])
    _db.session.add(Seat(activity_id=second.id, student_id=application.student_id, application_id=application.id))
    coach = world.users["provider_staff"].staff_profile
    other_teacher = factories.create_teacher(world.own_school)
    _, [first_session, second_session] = publish_week(world.own_school, MONDAY, [
        (0, "16:40", "17:40", "after_school", "sports", [other_teacher.staff_profile], "操场", [world.own_class]),
        (0, "16:40", "17:40", "after_school", "sports", [coach], "操场", [world.own_class]),
    ])
    first_session.activity_id, second_session.activity_id = first.id, second.id
    _db.session.commit()

    staff = {user.id for user in need_to_know.staff_on_childs_sessions(application)}
    assert staff == {world.users["provider_staff"].id, world.users["teacher"].id}  # assigned coach, group leader
    login_as(world.users["provider_staff"])
    assert HEALTH_NOTES in page(client, f"/my-week/sessions/{second_session.id}/children")[1]
    login_as(other_teacher)
    status, text = page(client, f"/my-week/sessions/{first_session.id}/children")
    assert status == 200 and HEALTH_NOTES not in text  # the first group's session lists the own class, no seat here


def test_only_approved_applications_and_asked_for_evening_study_count(world, application):
    week, [after_school, evening] = publish_week(world.own_school, MONDAY, [
        (0, "15:40", "16:40", "after_school", "homework_help", [], "101", [world.own_class]),
        (0, "19:00", "20:30", "evening_study", "self_study", [], "101", [world.own_class]),
    ])
    assert [s.id for s in need_to_know.sessions_of_child(application)] == [after_school.id]
    application.evening_study = True
    assert {s.id for s in need_to_know.sessions_of_child(application)} == {after_school.id, evening.id}
    assert need_to_know.children_of_session(evening) == [application]
    application.status = ApplicationStatus.CONFIRMED
    assert need_to_know.sessions_of_child(application) == []
    assert need_to_know.children_of_session(after_school) == []


# --- Creating a finance officer ---


def test_the_command_line_creates_a_finance_officer_who_reaches_the_fees_page(client, runner, world, login):
    school = world.own_school
    args = ["add-finance-officer", "--county", world.county.code, "--school", school.code, "--mobile", "13612345678",
            "--name", "李会计", "--password", "finance-2026"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "already has an account" in again.output
    officer = _db.session.scalar(_db.select(User).filter_by(mobile="13612345678"))
    assert officer.role is Role.FINANCE and officer.school_id == school.id
    login(officer, "finance-2026")
    client.post("/account/password", data={  # a password given on the command line is changed at first login
        "current": "finance-2026", "password": "my-own-choice-7", "confirm": "my-own-choice-7"})
    assert client.get("/enrolment/finance").status_code == 200
