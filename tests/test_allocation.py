"""No rush by design and waiting lists that always move: the window's one draw, first come, offers that expire
and pass on, every path that frees a place, siblings, and the plain-words reason for each choice."""

from datetime import date, timedelta

import pytest

from app.enrolment import allocation, services
from app.enrolment.explain import explain_choice, queue_position
from app.enrolment.models import (
    ActivityChoice,
    Application,
    ApplicationStatus,
    ChoiceStatus,
    HardshipStatus,
    Lottery,
    Seat,
)
from app.models_base import utcnow
from app.notifications.models import Notification
from app.programs.models import AllocationMode, Offering
from tests import factories

pytestmark = pytest.mark.both_databases


@pytest.fixture
def ctx(app):
    with app.test_request_context():
        yield


@pytest.fixture
def offering(world, db, ctx):
    offering = factories.create_offering(world.own_school, priority_groups=("hardship", "left_behind"))
    factories.create_activity(offering, name="科技社团", capacity=3, grades=(1,))
    factories.create_activity(offering, name="书法", capacity=10, grades=(1,))
    db.session.commit()
    return offering


def applicants(world, offering, n, choices=None):
    """n children of the own class, each applying (by their own guardian) for the given activities."""
    choices = choices or [offering.activities[0]]
    made = []
    for _ in range(n):
        student = factories.create_student(world.own_class)
        made.append(factories.create_application(student, offering, choices=choices))
    return made


def close_and_draw(db, offering, seed="s1"):
    offering.window_closes_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    allocation.run_due(offering=offering)
    db.session.commit()
    return db.session.scalar(db.select(Lottery).filter_by(offering_id=offering.id))


def waiting_in_order(activity):
    from app.extensions import db

    return list(db.session.scalars(db.select(ActivityChoice).filter_by(activity_id=activity.id,
                                                                       status=ChoiceStatus.WAITING)
                                   .order_by(ActivityChoice.wait_position, ActivityChoice.id)))


def status_of(db, application, activity):
    db.session.expire_all()
    return next(c for c in db.session.get(Application, application.id).choices if c.activity_id == activity.id).status


def test_nothing_is_allocated_before_the_window_closes_and_the_draw_runs_once(db, world, offering):
    apps = applicants(world, offering, 5)
    db.session.commit()
    allocation.run_due(offering=offering)
    assert offering.drawn_at is None and all(a.choices[0].status is ChoiceStatus.PENDING for a in apps)
    record = close_and_draw(db, offering)
    assert record is not None and offering.drawn_at is not None
    allocation.run_due(offering=offering)  # a second look at a closed window draws nothing more
    allocation.draw_offering(offering)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Lottery.id))) == 1
    assert offering.activities[0].taken == 3
    assert sorted(c.status.value for a in apps for c in a.choices) == ["placed"] * 3 + ["waiting"] * 2
    assert allocation.rerun_lottery(record)


def test_the_minute_of_applying_makes_no_difference(db, world, offering):
    apps = applicants(world, offering, 6)
    for minutes, application in enumerate(apps):  # the first to apply, the last, it does not matter
        application.created_at = utcnow() - timedelta(minutes=100 - minutes)
    db.session.commit()
    record = close_and_draw(db, offering)
    by_ticket = {a.ticket: a for a in apps}
    drawn_first = [by_ticket[t] for t in record.result["order"][:3]]
    assert {a.id for a in drawn_first} == {a.id for a in apps if a.placed_choice is not None}
    assert "created_at" not in str(record.inputs)


def test_priority_group_first_then_the_lottery_and_the_reason_in_words(db, world, offering):
    apps = applicants(world, offering, 6)
    apps[-1].priority_groups = ["left_behind"]
    apps[-1].status = ApplicationStatus.CONFIRMED  # a claim counts once the class teacher has checked it
    db.session.commit()
    record = close_and_draw(db, offering)
    priority = apps[-1].choices[0]
    assert priority.status is ChoiceStatus.PLACED
    assert explain_choice(priority) == "科技社团：优先群体，已录取。"
    waiting = next(c for a in apps for c in a.choices if c.status is ChoiceStatus.WAITING)
    number = record.result["numbers"][waiting.application.ticket]
    words = explain_choice(waiting)
    assert "3 个名额" in words and "6 人第一志愿" in words and f"抽签号 {number}" in words
    assert f"候补位次：{queue_position(waiting)}" in words


def test_a_waiting_position_moves_up_when_someone_ahead_leaves(db, world, offering):
    applicants(world, offering, 6)
    db.session.commit()
    close_and_draw(db, offering)
    queue = waiting_in_order(offering.activities[0])
    assert [queue_position(c) for c in queue] == [1, 2, 3]
    services.withdraw(queue[0].application, queue[0].application.guardian, date.today())
    db.session.commit()
    assert [queue_position(c) for c in queue[1:]] == [1, 2]


FREEING_PATHS = {
    "a family's withdrawal": lambda placed, admin: services.withdraw(placed.application, placed.application.guardian,
                                                                     date.today()),
    "a removal by the school": lambda placed, admin: allocation.remove_place(placed, admin, "长期未到"),
    "a raised capacity": lambda placed, admin: _raise_capacity(placed.activity, admin),
    "a new group": lambda placed, admin: _new_group(placed.activity, admin),
}


def _raise_capacity(activity, admin):
    activity.capacity += 1
    allocation.offer_freed_places(activity, admin)


def _new_group(activity, admin):
    from app.extensions import db
    from app.programs.models import Activity

    group = Activity(offering_id=activity.offering_id, school_id=activity.school_id, name=activity.name + "二组",
                     activity=activity.activity, grades=activity.grades, weekdays=[1], starts_at=activity.starts_at,
                     ends_at=activity.ends_at, capacity=1, section_of_id=activity.id)
    db.session.add(group)
    db.session.flush()
    allocation.offer_freed_places(group, admin)


@pytest.mark.parametrize("path", FREEING_PATHS)
def test_every_freed_place_is_offered_to_the_first_in_the_queue(db, world, offering, path):
    applicants(world, offering, 6)
    db.session.commit()
    close_and_draw(db, offering)
    activity = offering.activities[0]
    first, second = waiting_in_order(activity)[:2]
    placed = db.session.scalars(db.select(ActivityChoice).filter_by(activity_id=activity.id,
                                                                    status=ChoiceStatus.PLACED)).first()
    FREEING_PATHS[path](placed, world.users["school_admin"])
    db.session.commit()
    db.session.expire_all()
    assert first.status is ChoiceStatus.OFFERED and first.offer_expires_at is not None
    assert second.status is ChoiceStatus.WAITING
    notes = db.session.scalars(db.select(Notification).filter_by(user_id=first.application.guardian_id)).all()
    assert any("请在" in n.subject and "前确认" in n.subject for n in notes)
    held = db.session.scalar(db.select(db.func.count(Seat.id)).filter_by(student_id=first.application.student_id))
    assert held == 1  # the offered place is held for the child until the offer ends


@pytest.fixture
def drawn(db, world, offering):
    """Six children for three places, drawn: the activity and its waiting list in order."""
    applicants(world, offering, 6)
    db.session.commit()
    close_and_draw(db, offering)
    activity = offering.activities[0]
    return activity, waiting_in_order(activity)


def test_an_unanswered_offer_expires_and_passes_on_in_order(db, offering, drawn):
    activity, (first, second, third) = drawn
    _raise_capacity(activity, None)
    db.session.commit()
    assert first.status is ChoiceStatus.OFFERED
    allocation.run_due(now=utcnow() + timedelta(hours=47), offering=offering)  # offer_hours is 48
    db.session.commit()
    assert first.status is ChoiceStatus.OFFERED
    allocation.run_due(now=utcnow() + timedelta(hours=49), offering=offering)
    db.session.commit()
    db.session.expire_all()
    assert first.status is ChoiceStatus.DROPPED and first.outcome == "offer_expired"
    assert second.status is ChoiceStatus.OFFERED and third.status is ChoiceStatus.WAITING
    assert "未在期限内确认" in explain_choice(first)
    assert activity.taken == activity.capacity


def test_declining_passes_on_and_accepting_keeps_it(db, drawn):
    activity, (first, second, third) = drawn
    activity.capacity += 2
    allocation.offer_freed_places(activity)
    db.session.commit()
    assert (first.status, second.status) == (ChoiceStatus.OFFERED, ChoiceStatus.OFFERED)
    assert allocation.decline_offer(first, first.application.guardian)
    assert allocation.accept_offer(second, second.application.guardian)
    db.session.commit()
    db.session.expire_all()
    assert first.status is ChoiceStatus.DROPPED and second.status is ChoiceStatus.PLACED
    assert third.status is ChoiceStatus.OFFERED
    assert not allocation.accept_offer(first, first.application.guardian)  # a closed offer cannot be taken


def test_accepting_a_higher_choice_frees_the_lower_place_for_its_queue(db, world, offering):
    science, calligraphy = offering.activities
    calligraphy.capacity = 3
    apps = applicants(world, offering, 6, choices=[science, calligraphy])
    db.session.commit()
    close_and_draw(db, offering)
    # Three placed in 科技社团, three in 书法 who also wait for 科技社团.
    waiting_science = waiting_in_order(science)
    assert len(waiting_science) == 3 and all(c.application.placed_choice.activity_id == calligraphy.id
                                             for c in waiting_science)
    late = applicants(world, offering, 1, choices=[calligraphy])[0]  # after the draw: waits at the end
    allocation.place_on_arrival(late)
    db.session.commit()
    assert late.choices[0].status is ChoiceStatus.WAITING
    moving = waiting_science[0]
    _raise_capacity(science, None)
    assert allocation.accept_offer(moving, moving.application.guardian)
    db.session.commit()
    db.session.expire_all()
    assert moving.application.placed_choice.activity_id == science.id
    # Its 书法 place went to the next in 书法's queue: the late child.
    assert late.choices[0].status is ChoiceStatus.OFFERED
    assert sum(1 for a in apps for c in a.choices if c.status is ChoiceStatus.PLACED) == 6


def test_first_come_places_on_arrival_and_queues_the_rest(db, world, offering, client, login):
    offering.allocation = AllocationMode.FIRST_COME
    offering.activities[0].capacity = 1
    db.session.commit()
    first, second = (factories.create_application(factories.create_student(world.own_class), offering)
                     for _ in range(2))
    for application in (first, second):
        application.choices.append(ActivityChoice(activity_id=offering.activities[0].id, rank=1))
        db.session.flush()
        allocation.place_on_arrival(application)
    db.session.commit()
    assert first.choices[0].status is ChoiceStatus.PLACED and first.choices[0].outcome == "first_come"
    assert second.choices[0].status is ChoiceStatus.WAITING and queue_position(second.choices[0]) == 1
    assert "先到先得" in explain_choice(first.choices[0])


def test_linked_siblings_are_drawn_together(db, world, offering):
    guardian = world.users["guardian"]
    sister = factories.create_student(world.own_class)
    guardian.guardian_links.append(type(guardian.guardian_links[0])(student=sister, relationship_kind=
                                                                    guardian.guardian_links[0].relationship_kind,
                                                                    verified=True))
    science = offering.activities[0]
    mine = [factories.create_application(child, offering, guardian=guardian, choices=[science])
            for child in (world.own_student, sister)]
    assert services.sibling_candidates(mine[0], utcnow()) == [mine[1]]
    services.link_siblings(mine[0], mine[1], guardian)
    applicants(world, offering, 6)
    db.session.commit()
    record = close_and_draw(db, offering)
    assert mine[0].sibling_group == mine[1].sibling_group is not None
    assert record.result["numbers"][mine[0].ticket] == record.result["numbers"][mine[1].ticket]
    assert (mine[0].choices[0].status is ChoiceStatus.PLACED) == (mine[1].choices[0].status is ChoiceStatus.PLACED)
    assert services.sibling_candidates(mine[0], utcnow()) == []  # no linking after the draw


def test_the_run_due_command_draws_closed_windows(app, db, world, offering):
    applicants(world, offering, 4)
    offering.window_closes_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    offering_id = offering.id
    result = app.test_cli_runner().invoke(args=["enrolment", "run-due"])
    assert result.exit_code == 0, result.output
    drawn = db.session.get(Offering, offering_id)
    assert drawn.drawn_at is not None and drawn.activities[0].taken == 3


def test_the_guardian_sees_why_is_offered_a_place_and_takes_it(client, login, db, world, offering):
    science = offering.activities[0]
    mine = factories.create_application(world.own_student, offering, choices=[science])
    for _ in range(3):  # three children of the priority group take the three places, whatever the draw
        rival = factories.create_application(factories.create_student(world.own_class), offering, choices=[science])
        rival.priority_groups = ["hardship"]
        rival.hardship = HardshipStatus.APPROVED  # the principal or finance checked it
    db.session.commit()
    record = close_and_draw(db, offering)
    login(world.users["guardian"])
    page = client.get(f"/enrolment/applications/{mine.id}").get_data(as_text=True)
    number = record.result["numbers"][mine.ticket]
    assert f"科技社团未录取：3 个名额，4 人第一志愿，你的抽签号 {number}" in page and "当前候补位次：1" in page
    assert mine.ticket in page

    _raise_capacity(db.session.get(type(science), science.id), None)
    db.session.commit()
    assert "科技社团为你保留了名额" in client.get("/enrolment/").get_data(as_text=True)
    page = client.get(f"/enrolment/applications/{mine.id}").get_data(as_text=True)
    assert "接受名额" in page and "逾期将顺延" in page
    assert client.post(f"/enrolment/choices/{mine.choices[0].id}/accept").status_code == 302
    db.session.expire_all()
    assert mine.choices[0].status is ChoiceStatus.PLACED
    assert "候补递补录取" in client.get(f"/enrolment/applications/{mine.id}").get_data(as_text=True)


@pytest.mark.parametrize(("role", "sees"), [("school_admin", True), ("finance", False), ("class_teacher", False),
                                            ("coordinator", False)])
def test_lottery_numbers_and_tickets_are_need_to_know(client, login, db, world, offering, role, sees):
    """The draw's public record shows each ticket's priority groups: only the family, the principal and finance
    may tie a child to a ticket (finance has no application page at all)."""
    mine = factories.create_application(world.own_student, offering, choices=[offering.activities[0]])
    applicants(world, offering, 4)
    db.session.commit()
    close_and_draw(db, offering)
    login(world.users[role])
    response = client.get(f"/enrolment/applications/{mine.id}")
    page = response.get_data(as_text=True)
    assert (mine.ticket in page and "抽签号" in page) is sees
    if response.status_code == 200:
        assert "科技社团" in page


def test_a_priority_claim_counts_only_once_the_school_checked_it(db, world, offering):
    apps = applicants(world, offering, 5)
    apps[0].priority_groups = ["left_behind"]  # claimed, still waiting for the class teacher at the close
    apps[1].priority_groups = ["hardship"]  # confirmed by the class teacher, who may not see hardship ...
    apps[1].status = ApplicationStatus.CONFIRMED
    apps[1].hardship = HardshipStatus.REQUESTED  # ... and the principal has not decided yet
    apps[2].priority_groups = ["hardship"]
    apps[2].hardship = HardshipStatus.APPROVED
    apps[3].priority_groups = ["left_behind"]
    apps[3].status = ApplicationStatus.CONFIRMED
    db.session.commit()
    record = close_and_draw(db, offering)
    tiers = record.result["tiers"]
    assert [tiers[a.ticket] for a in apps] == [2, 2, 0, 1, 2]  # 0 hardship, 1 left-behind, 2 no priority
