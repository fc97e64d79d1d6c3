"""The quality survey: one answer per child per term (also when two answers race), a guardian answers only for
their own child who took part and rates only the activities the child took part in, the results against
hand-computed means (county: all its schools, principal: own school), the provider's evaluation starting from the
families' mean, and the audience told when the survey opens."""

import re
from datetime import timedelta

import pytest

from app.accounts.models import GuardianLink, Relationship, User
from app.extensions import db
from app.models_base import local_today
from app.notifications.models import Notification
from app.surveys import results, services
from app.surveys.models import ActivityRating, GuardianAnswer, StaffAnswer, Survey
from tests import factories
from tests.racing import run_together
from tests.survey_world import TERM, open_survey, term_service, took_part

pytestmark = pytest.mark.both_databases


def figure(html: str, name: str, **whose) -> list[str]:
    """The values of every `data-figure=name` on the page (of whose: school=…, activity=…, provider=…), in order."""
    tags = [dict(re.findall(r'data-([\w-]+)="([^"]*)"', tag)) for tag in re.findall(r"<[^>]*data-figure=[^>]*>", html)]
    return [tag["value"] for tag in tags
            if tag["figure"] == name and all(tag.get(key) == str(value) for key, value in whose.items())]


@pytest.fixture
def county_world(app):
    """Two schools of one county and one far school; the provider runs 足球 at both schools, 阅读 is the school's
    own. School A: children a1 (足球, 阅读), a2 (足球), a3 (none); school B: b1 (足球)."""
    county = factories.create_county()
    provider = factories.create_provider(county)
    school_a, school_b = factories.create_school(county), factories.create_school(county)
    far = factories.create_school()
    offering_a, (football_a, reading_a) = term_service(school_a, ("足球", provider), ("阅读", None))
    offering_b, (football_b,) = term_service(school_b, ("足球", provider))
    class_a, class_b = factories.create_class(school_a), factories.create_class(school_b)
    a1, a2, a3 = (factories.create_student(class_a) for _ in range(3))
    b1 = factories.create_student(class_b)
    guardians = {child: factories.create_guardian(child) for child in (a1, a2, a3, b1)}
    took_part(a1, offering_a, football_a, reading_a)
    took_part(a2, offering_a, football_a)
    took_part(a3, offering_a)
    took_part(b1, offering_b, football_b)
    world = dict(
        county=county, provider=provider, school_a=school_a, school_b=school_b, far=far, a1=a1, a2=a2, a3=a3, b1=b1,
        guardians=guardians, football_a=football_a, reading_a=reading_a, football_b=football_b,
        officer=factories.create_county_officer(county), principal_a=factories.create_school_admin(school_a),
        coordinator_a=factories.create_coordinator(school_a), teacher_a=factories.create_teacher(school_a),
        teacher_b=factories.create_teacher(school_b), far_officer=factories.create_county_officer(far.county),
    )
    db.session.commit()
    return world


def answer_url(survey, child) -> str:
    return f"/surveys/{survey.id}/children/{child.id}"


# --- One answer per child per term ---


def test_a_second_answer_for_the_same_child_is_refused(app, client, login, county_world):
    survey = open_survey(county_world["county"])
    a1 = county_world["a3"]  # took part without an activity place: the overall score and the free text
    second_guardian = factories.create_guardian(a1)
    db.session.commit()
    login(county_world["guardians"][a1])
    response = client.post(answer_url(survey, a1), data={"overall": "5", "comment": "很好"})
    assert response.status_code == 302
    # The other guardian of the same child, and the same guardian again: told it was sent, nothing stored.
    client.post("/account/logout")
    login(second_guardian)
    again = client.post(answer_url(survey, a1), data={"overall": "1"}, follow_redirects=True)
    assert "已经提交" in again.get_data(as_text=True) or "already been sent" in again.get_data(as_text=True)
    answers = db.session.scalars(db.select(GuardianAnswer).filter_by(survey_id=survey.id)).all()
    assert [(a.student_id, a.overall, a.comment) for a in answers] == [(a1.id, 5, "很好")]


def test_a_new_survey_of_the_same_term_is_refused(app, client, login, county_world):
    open_survey(county_world["county"])
    db.session.commit()
    login(county_world["officer"])
    page = client.post("/surveys/new", data={"term_name": TERM, "opens_on": "2027-01-10", "closes_on": "2027-01-20",
                                             "for_guardians": "y"})
    assert page.status_code == 200
    assert len(db.session.scalars(db.select(Survey)).all()) == 1


POOL_SIZE = 8


def test_racing_answers_for_one_child_make_one_answer(racing_app):
    """Two guardians of one child (and a double tap) send at the same moment: one answer stands, everyone gets a
    page, no error."""
    with racing_app.app_context():
        county = factories.create_county()
        school = factories.create_school(county)
        offering, (group,) = term_service(school, ("足球", None))
        child = factories.create_student(factories.create_class(school))
        mother, father = factories.create_guardian(child), factories.create_guardian(child)
        took_part(child, offering, group, guardian=mother)
        survey = open_survey(county)
        db.session.commit()
        url, mobiles = answer_url(survey, child), [mother.mobile, mother.mobile, father.mobile, father.mobile]
        survey_id, group_id = survey.id, group.id
    statuses = []

    def send(release, mobile, overall):
        client = racing_app.test_client()
        assert client.post("/account/login", data={"mobile": mobile, "password": factories.PASSWORD}).status_code == 302
        release()
        statuses.append(client.post(url, data={"overall": str(overall), f"activity_{group_id}": "4"}).status_code)

    errors = run_together(send, [(mobile, n + 1) for n, mobile in enumerate(mobiles)])
    assert not errors, errors
    assert statuses == [302] * 4
    with racing_app.app_context():
        answers = db.session.scalars(db.select(GuardianAnswer).filter_by(survey_id=survey_id)).all()
        assert len(answers) == 1
        assert len(db.session.scalars(db.select(ActivityRating)).all()) == 1


# --- Whose child, which activities ---


def test_a_guardian_answers_only_for_their_own_child_who_took_part(app, client, login, county_world):
    survey = open_survey(county_world["county"])
    a1, a2, b1 = county_world["a1"], county_world["a2"], county_world["b1"]
    not_taking_part = factories.create_student(county_world["a1"].school_class)
    guardian = county_world["guardians"][a1]
    guardian.guardian_links.append(GuardianLink(student=not_taking_part, verified=True,
                                                relationship_kind=Relationship.FATHER))
    waiting = factories.create_guardian(a2, verified=False)  # the class teacher has not confirmed this link
    db.session.commit()
    login(guardian)
    assert client.get(answer_url(survey, a1)).status_code == 200
    assert client.get(answer_url(survey, b1)).status_code == 404  # another family's child
    assert client.post(answer_url(survey, b1), data={"overall": "1"}).status_code == 404
    assert client.get(answer_url(survey, not_taking_part)).status_code == 404  # did not take part this term
    client.post("/account/logout")
    login(waiting)
    assert client.post(answer_url(survey, a2), data={"overall": "1"}).status_code == 404
    assert db.session.scalars(db.select(GuardianAnswer)).all() == []


def test_only_the_activities_the_child_took_part_in_are_rated(app, client, login, county_world):
    survey = open_survey(county_world["county"])
    db.session.commit()
    a2, football_a, reading_a = county_world["a2"], county_world["football_a"], county_world["reading_a"]
    login(county_world["guardians"][a2])
    page = client.get(answer_url(survey, a2)).get_data(as_text=True)
    assert "足球" in page and "阅读" not in page  # a2 took part in 足球 only
    # A hand-made form rating 阅读 too: the rating is not stored.
    response = client.post(answer_url(survey, a2), data={"overall": "4", f"activity_{football_a.id}": "5",
                                                          f"activity_{reading_a.id}": "1"})
    assert response.status_code == 302
    ratings = db.session.scalars(db.select(ActivityRating)).all()
    assert [(r.activity_id, r.rating, r.provider_id) for r in ratings] == [
        (football_a.id, 5, county_world["provider"].id)]


def test_every_activity_of_the_child_must_be_rated(app, client, login, county_world):
    survey = open_survey(county_world["county"])
    db.session.commit()
    a1 = county_world["a1"]
    login(county_world["guardians"][a1])
    page = client.post(answer_url(survey, a1), data={"overall": "4", f"activity_{county_world['football_a'].id}": "5"})
    assert page.status_code == 200
    assert db.session.scalars(db.select(GuardianAnswer)).all() == []


def test_a_closed_survey_takes_no_answer(app, client, login, county_world):
    survey = open_survey(county_world["county"])
    survey.opens_on, survey.closes_on = local_today() - timedelta(days=30), local_today() - timedelta(days=1)
    db.session.commit()
    a3 = county_world["a3"]
    login(county_world["guardians"][a3])
    assert client.post(answer_url(survey, a3), data={"overall": "5"}).status_code == 302
    assert db.session.scalars(db.select(GuardianAnswer)).all() == []


# --- Results ---


def _answer(survey, child, overall, ratings=(), comment=""):
    services.record_guardian_answer(survey, child, overall=overall, ratings=dict(ratings), comment=comment)


@pytest.fixture
def answered(county_world):
    """School A: overall 5, 4, 2 (mean 11/3 = 3.67); 足球 5, 3 (4.00); 阅读 2. School B: overall 3; 足球 4.
    Provider (足球 at both): 5, 3, 4 → 4.00, starting score 80. Staff: A 4/2, B 5/5."""
    w = county_world
    survey = open_survey(w["county"])
    _answer(survey, w["a1"], 5, [(w["football_a"].id, 5), (w["reading_a"].id, 2)], comment="希望多些体育活动")
    _answer(survey, w["a2"], 4, [(w["football_a"].id, 3)])
    _answer(survey, w["a3"], 2)
    _answer(survey, w["b1"], 3, [(w["football_b"].id, 4)], comment="乙校的意见")
    services.record_staff_answer(survey, w["teacher_a"], overall=4, workload_fairness=2, comment="看护任务不均")
    services.record_staff_answer(survey, w["teacher_b"], overall=5, workload_fairness=5, comment="")
    db.session.commit()
    return survey


def test_school_means_for_the_board(county_world, answered):
    w = county_world
    means = results.school_means(w["county"].id, TERM)
    assert means.keys() == {w["school_a"].id, w["school_b"].id}
    assert means[w["school_a"].id][0] == pytest.approx(11 / 3) and means[w["school_a"].id][1] == 3
    assert means[w["school_b"].id] == (pytest.approx(3.0), 1)
    assert results.school_means(w["county"].id, "另一个学期") == {}
    assert results.school_means(w["far"].county_id, TERM) == {}


def test_the_county_reads_every_school_activity_and_provider(client, login, county_world, answered):
    w = county_world
    login(w["officer"])
    page = client.get(f"/surveys/{answered.id}").get_data(as_text=True)
    assert sorted(figure(page, "survey-school-guardians")) == ["3.00", "3.67"]
    assert figure(page, "survey-school-guardians", school=w["school_a"].id) == ["3.67"]
    assert figure(page, "survey-school-staff", school=w["school_a"].id) == ["4.00"]
    assert figure(page, "survey-school-workload", school=w["school_a"].id) == ["2.00"]
    assert figure(page, "survey-school-workload", school=w["school_b"].id) == ["5.00"]
    assert figure(page, "survey-activity", activity=w["football_a"].id) == ["4.00"]
    assert figure(page, "survey-activity", activity=w["reading_a"].id) == ["2.00"]
    assert figure(page, "survey-activity", activity=w["football_b"].id) == ["4.00"]
    assert figure(page, "survey-provider", provider=w["provider"].id) == ["4.00"]
    provider_row = page.split(f'<tr data-provider="{w["provider"].id}"')[1].split("</tr>")[0]
    assert "<td>80</td>" in provider_row
    assert "希望多些体育活动" in page and "乙校的意见" in page and "看护任务不均" in page


def test_the_principal_reads_their_own_school_only(client, login, county_world, answered):
    w = county_world
    login(w["principal_a"])
    page = client.get(f"/surveys/{answered.id}").get_data(as_text=True)
    assert figure(page, "survey-school-guardians") == ["3.67"]
    assert w["school_b"].name not in page
    assert "希望多些体育活动" in page and "看护任务不均" in page
    assert "乙校的意见" not in page  # the other school's free text is not theirs to read
    assert f'data-activity="{w["football_b"].id}"' not in page
    assert "survey-provider" not in page
    client.post("/account/logout")
    login(w["coordinator_a"])
    assert client.get(f"/surveys/{answered.id}").status_code == 403
    client.post("/account/logout")
    login(w["far_officer"])
    assert client.get(f"/surveys/{answered.id}").status_code == 404


def test_the_provider_evaluation_starts_from_the_families_mean(client, login, county_world, answered):
    w = county_world
    login(w["officer"])
    page = client.get(f"/providers/{w['provider'].id}/evaluate").get_data(as_text=True)
    assert figure(page, "survey-provider", provider=w["provider"].id) == ["4.00"]  # as on the results page
    assert 'name="score"' in page and re.search(r'name="score"[^>]*value="80"', page)
    assert re.search(rf'name="term_name"[^>]*value="{TERM}"', page)
    # The officer keeps or changes the score; the evaluation saved is theirs.
    response = client.post(f"/providers/{w['provider'].id}/evaluate",
                           data={"term_name": TERM, "score": "76", "rating": "", "comment": ""})
    assert response.status_code == 302
    assert [(e.term_name, e.score) for e in w["provider"].evaluations] == [(TERM, 76)]
    # Evaluated: the next visit offers no term to start from, the ratings stay shown.
    page = client.get(f"/providers/{w['provider'].id}/evaluate").get_data(as_text=True)
    assert not re.search(r'name="score"[^>]*value="80"', page)
    assert figure(page, "survey-provider", provider=w["provider"].id) == ["4.00"]


# --- Telling people, the home page ---


def inbox(user) -> list[Notification]:
    return db.session.scalars(db.select(Notification).filter_by(user_id=user.id)).all()


def test_publishing_an_open_survey_tells_the_families_and_staff_once(client, login, county_world):
    w = county_world
    far_guardian = factories.create_guardian(factories.create_student(factories.create_class(w["far"])))
    db.session.commit()
    login(w["officer"])
    today = local_today()
    response = client.post("/surveys/new", data={
        "term_name": TERM, "opens_on": today.isoformat(), "closes_on": (today + timedelta(days=7)).isoformat(),
        "for_guardians": "y", "for_staff": "y"})
    assert response.status_code == 302
    for child in ("a1", "a2", "a3", "b1"):
        [note] = inbox(w["guardians"][w[child]])
        assert TERM in note.subject and note.link == "/surveys/mine"
    assert len(inbox(w["teacher_a"])) == 1 and len(inbox(w["teacher_b"])) == 1
    assert inbox(far_guardian) == [] and inbox(w["principal_a"]) == []
    assert services.send_due_opening_notices(today) == 0
    assert len(inbox(w["guardians"][w["a1"]])) == 1


def test_a_survey_opening_later_is_announced_on_its_day(app, county_world):
    w = county_world
    today = local_today()
    survey = services.publish(w["county"], term_name=TERM, opens_on=today + timedelta(days=2),
                              closes_on=today + timedelta(days=9), for_guardians=True, for_staff=False,
                              by=w["officer"], today=today)
    db.session.commit()
    assert inbox(w["guardians"][w["a1"]]) == []
    assert services.send_due_opening_notices(today + timedelta(days=1)) == 0
    assert services.send_due_opening_notices(today + timedelta(days=2)) == 4
    assert services.send_due_opening_notices(today + timedelta(days=3)) == 0
    assert survey.notified_at is not None
    assert inbox(w["teacher_a"]) == []


def test_the_home_page_asks_until_every_child_is_answered(client, login, county_world):
    w = county_world
    survey = open_survey(w["county"])
    db.session.commit()
    guardian = w["guardians"][w["a1"]]
    login(guardian)
    home = client.get("/dashboard").get_data(as_text=True)
    assert "data-survey-waiting" in home
    mine = client.get("/surveys/mine").get_data(as_text=True)
    assert answer_url(survey, w["a1"]) in mine
    client.post(answer_url(survey, w["a1"]), data={"overall": "5", f"activity_{w['football_a'].id}": "5",
                                                   f"activity_{w['reading_a'].id}": "4"})
    assert "data-survey-waiting" not in client.get("/dashboard").get_data(as_text=True)
    assert answer_url(survey, w["a1"]) not in client.get("/surveys/mine").get_data(as_text=True)


def test_staff_answer_once(client, login, county_world):
    w = county_world
    survey = open_survey(w["county"])
    db.session.commit()
    login(w["teacher_a"])
    assert "data-survey-waiting" in client.get("/dashboard").get_data(as_text=True)
    url = f"/surveys/{survey.id}/staff"
    assert client.post(url, data={"overall": "3", "workload_fairness": "2"}).status_code == 302
    assert client.post(url, data={"overall": "1", "workload_fairness": "1"}).status_code == 302
    assert [(a.overall, a.workload_fairness) for a in db.session.scalars(db.select(StaffAnswer))] == [(3, 2)]
    assert "data-survey-waiting" not in client.get("/dashboard").get_data(as_text=True)


def test_run_due_announces_a_survey_on_its_opening_day(app, county_world):
    open_survey(county_world["county"], for_staff=False, told=False)
    guardian_id, teacher_id = county_world["guardians"][county_world["a1"]].id, county_world["teacher_a"].id
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["enrolment", "run-due"])  # ends its session: ids, not objects
    assert result.exit_code == 0, result.output
    assert len(inbox(db.session.get(User, guardian_id))) == 1
    assert inbox(db.session.get(User, teacher_id)) == []


@pytest.mark.parametrize(("mean", "score"), [(5, 100), (4.0, 80), (3.5, 70), (4.025, 81), (1, 20)])
def test_the_starting_score_is_the_mean_out_of_100(mean, score):
    assert results.starting_score(mean) == score


def test_the_demo_has_a_closed_survey_with_answers_and_an_open_one(app, runner):
    from app.demo_calendar import DemoCalendar

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    calendar = DemoCalendar.for_day(local_today())
    surveys = {s.term_name: s for s in db.session.scalars(db.select(Survey))}
    closed, current = surveys[calendar.previous_term.name], surveys[calendar.term.name]
    today = local_today()
    assert closed.closes_on < today and current.is_open_on(today) and current.notified_at is not None
    by_school = results.school_results(closed)
    assert all(row.guardians.n > 0 and row.staff_overall.n > 0 for row in by_school)
    assert {row.provider.name for row in results.provider_results(closed)} == {"星火体育", "墨香书画社"}
    assert results.school_means(closed.county_id, closed.term_name).keys() == {row.school.id for row in by_school}
