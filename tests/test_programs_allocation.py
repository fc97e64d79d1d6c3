"""The programme side of "no rush by design" and "waiting lists that always move": the application window and
allocation mode of an offering, live places left, raised capacity and new groups offering places in queue order."""

from datetime import UTC, date, datetime, time

import pytest

from app.enrolment import allocation
from app.enrolment.models import ActivityChoice, ChoiceStatus
from app.models_base import as_utc, utcnow
from app.programs import window
from app.programs.models import Activity, AllocationMode, Offering
from app.programs.services import publish_offering
from tests import factories


@pytest.fixture
def admin(world, login, client):
    login(world.users["school_admin"])
    client.post("/language", data={"locale": "en"})
    return world.users["school_admin"]


@pytest.fixture
def ctx(app):
    """A request context for the engine's notifications (they build links)."""
    with app.test_request_context():
        yield


def offering_form_data(term, **changes) -> dict:
    data = {"kind": "after_school", "term_id": term.id, "holiday_id": 0, "title": "秋季课后服务",
            "weekdays": ["0", "1", "2", "3", "4"], "starts_at": "15:30", "ends_at": "17:40",
            "apply_deadline": "2026-09-10", "fee_period": "month", "basic_fee": "200", "allocation": "draw",
            "window_opens_at": "2026-09-01T08:00", "window_closes_at": "2026-09-05T20:00",
            "siblings_together": "y", "offer_hours": "48"}
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def activity_form_data(world, item: Activity, **changes) -> dict:
    data = {"name": item.name, "activity": item.activity, "subject": "", "grades": [str(g) for g in item.grades],
            "weekdays": [str(d) for d in item.weekdays], "starts_at": "16:00", "ends_at": "17:00",
            "capacity": str(item.capacity), "room": "", "provider_id": "0",
            "leader_id": world.users["teacher"].id, "fee": "0"}
    data.update(changes)
    return data


def waiting_list(db, queue: Activity) -> list[ActivityChoice]:
    """The children waiting for an activity, in queue order."""
    return list(db.session.scalars(
        db.select(ActivityChoice).filter_by(activity_id=queue.id, status=ChoiceStatus.WAITING)
        .order_by(ActivityChoice.wait_position, ActivityChoice.id)))


@pytest.fixture
def drawn(world, db, ctx):
    """A drawn offering: 足球 has 2 places and 7 children applied, so 5 wait in the draw's order."""
    offering = factories.create_offering(world.own_school)
    football = factories.create_activity(offering, name="足球", capacity=2, grades=(1,),
                                         leader_id=world.users["teacher"].id)
    for _ in range(7):
        factories.create_application(factories.create_student(world.own_class), offering, choices=[football])
    db.session.commit()
    allocation.draw_offering(offering, seed="known-seed")
    db.session.commit()
    assert football.taken == 2 and len(waiting_list(db, football)) == 5
    return offering, football


# --- Offering settings ---


def test_the_window_and_mode_are_saved_in_school_time_and_shown(client, world, admin, db):
    term = factories.create_program_term(world.own_school)
    db.session.commit()
    data = offering_form_data(term, window_closes_at="2026-09-10T23:59", first_come_after_draw="y",
                              offer_hours="24")
    assert client.post("/programs/new", data=data).status_code == 302
    offering = db.session.scalar(db.select(Offering))
    assert offering.allocation is AllocationMode.DRAW
    assert as_utc(offering.window_opens_at) == datetime(2026, 9, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert as_utc(offering.window_closes_at) == datetime(2026, 9, 10, 15, 59, tzinfo=UTC)
    assert offering.first_come_after_draw and offering.siblings_together and offering.offer_hours == 24
    page = client.get(f"/programs/{offering.id}").get_data(as_text=True)
    assert "Applications open at 2026-09-01 08:00 and close at 2026-09-10 23:59." in page
    assert "applying early gives no advantage" in page
    form = client.get(f"/programs/{offering.id}/edit").get_data(as_text=True)
    assert 'value="2026-09-01T08:00"' in form and 'value="2026-09-10T23:59"' in form


@pytest.mark.parametrize(("changes", "message"), [
    ({"window_opens_at": "2026-09-05T08:00", "window_closes_at": "2026-09-05T08:00"}, "close after they open"),
    ({"window_closes_at": "2026-09-11T00:01"}, "by the end of the last day to apply (2026-09-10)"),
    ({"window_opens_at": "2026-09-11T00:00", "window_closes_at": None}, "open before the last day to apply"),
    ({"allocation": "first_come"}, "First come takes applications until the end of the last day"),
    ({"offer_hours": "0"}, "between 1 and 336 hours"),
    ({"offer_hours": "337"}, "between 1 and 336 hours"),
])
def test_a_window_that_does_not_fit_is_refused_with_a_reason(client, world, admin, db, changes, message):
    term = factories.create_program_term(world.own_school)
    db.session.commit()
    response = client.post("/programs/new", data=offering_form_data(term, **changes))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Offering)) is None


def test_first_come_without_a_close_is_accepted(client, world, admin, db):
    term = factories.create_program_term(world.own_school)
    db.session.commit()
    data = offering_form_data(term, allocation="first_come", window_closes_at=None, first_come_after_draw="y")
    assert client.post("/programs/new", data=data).status_code == 302
    offering = db.session.scalar(db.select(Offering))
    assert offering.allocation is AllocationMode.FIRST_COME and offering.window_closes_at is None
    assert not offering.first_come_after_draw  # only a draw has places left after it


def test_window_and_mode_are_locked_once_the_draw_has_run(client, world, admin, db):
    offering = factories.create_offering(world.own_school, apply_deadline=date(2026, 9, 10),
                                         window_opens_at=datetime(2026, 9, 1, 0, 0, tzinfo=UTC),
                                         window_closes_at=datetime(2026, 9, 5, 12, 0, tzinfo=UTC))
    offering.drawn_at = utcnow()
    db.session.commit()
    same = offering_form_data(offering.term, window_closes_at="2026-09-05T20:00")
    for changes in ({"allocation": "first_come", "window_closes_at": None},
                    {"window_closes_at": "2026-09-06T20:00"}, {"window_opens_at": None}):
        page = client.post(f"/programs/{offering.id}/edit", data=same | changes)
        assert page.status_code == 200, changes
        assert "The draw has run" in page.get_data(as_text=True), changes
    assert client.post(f"/programs/{offering.id}/edit", data=same | {"offer_hours": "72"}).status_code == 302
    db.session.expire_all()
    assert offering.offer_hours == 72 and offering.allocation is AllocationMode.DRAW


def test_the_notice_publishes_the_window_and_the_mode(client, world, admin, db):
    offering = factories.create_offering(world.own_school, published=False, apply_deadline=date(2026, 9, 10),
                                         window_closes_at=datetime(2026, 9, 5, 12, 0, tzinfo=UTC),
                                         first_come_after_draw=True)
    db.session.commit()
    assert client.post(f"/programs/{offering.id}/publish", data={"change_note": ""}).status_code == 302
    page = client.get(f"/programs/notice/offering/{offering.id}/v1").get_data(as_text=True)
    assert "Applications open on publication and close at 2026-09-05 20:00." in page
    assert "Places are shared by a recorded draw when applications close — applying early gives no advantage." \
        in page
    assert "first come until the end of 2026-09-10" in page
    assert "stays open for 48 hours" in page
    first_come = factories.create_offering(world.own_school, published=False, apply_deadline=date(2026, 9, 10),
                                           allocation=AllocationMode.FIRST_COME)
    db.session.commit()
    client.post(f"/programs/{first_come.id}/publish", data={"change_note": ""})
    page = client.get(f"/programs/notice/offering/{first_come.id}/v1").get_data(as_text=True)
    assert "close at the end of 2026-09-10" in page and "First come: places are given in the order" in page
    assert "no advantage" not in page


# --- Places left, live ---


def test_places_json_counts_free_places_per_activity_groups_added_up(client, world, db):
    offering = factories.create_offering(world.own_school)
    football = factories.create_activity(offering, capacity=3, taken=1)
    factories.create_activity(offering, capacity=2, taken=2, section_of_id=football.id)  # another group, full
    factories.create_activity(offering, capacity=4, section_of_id=football.id)
    art = factories.create_activity(offering, capacity=10, taken=10)
    db.session.commit()
    response = client.get(f"/programs/notice/offering/{offering.id}/places.json")
    assert response.status_code == 200 and response.is_json
    assert response.json["activities"] == {str(football.id): 6, str(art.id): 0}
    assert datetime.fromisoformat(response.json["updated_at"]).tzinfo is not None
    assert response.headers["Content-Security-Policy"]  # served like every other response


def test_places_json_is_only_for_published_offerings(client, world, db):
    draft = factories.create_offering(world.own_school, published=False)
    factories.create_activity(draft)
    db.session.commit()
    assert client.get(f"/programs/notice/offering/{draft.id}/places.json").status_code == 404
    assert client.get("/programs/notice/offering/9999/places.json").status_code == 404


def published_with(school, publisher, **activities) -> tuple:
    """An offering published (version 1) after its activities were added: name=(capacity, taken)."""
    offering = factories.create_offering(school, published=False)
    made = [factories.create_activity(offering, name=name, capacity=capacity, taken=taken, grades=(1,))
            for name, (capacity, taken) in activities.items()]
    publish_offering(offering, publisher)
    return offering, made


def test_the_current_notice_shows_places_left_and_loads_the_refresh_script(client, world, db):
    offering, [football] = published_with(world.own_school, world.users["school_admin"], 足球=(5, 3))
    db.session.commit()
    page = client.get(f"/programs/notice/offering/{offering.id}/v1").get_data(as_text=True)
    assert f'data-places-activity="{football.id}">2<' in page
    assert f'data-places-url="/programs/notice/offering/{offering.id}/places.json"' in page
    assert 'src="/static/js/places.js" defer' in page
    assert "<script>" not in page  # no inline script (the CSP forbids it)


def test_an_older_notice_version_shows_no_live_places(client, world, admin, db):
    offering, _ = published_with(world.own_school, world.users["school_admin"], 足球=(5, 3))
    db.session.commit()
    client.post(f"/programs/{offering.id}/publish", data={"change_note": "加了足球"})
    old = client.get(f"/programs/notice/offering/{offering.id}/v1").get_data(as_text=True)
    assert "data-places-activity" not in old and "places.js" not in old
    assert "data-places-activity" in client.get(f"/programs/notice/offering/{offering.id}/v2").get_data(as_text=True)


def test_the_application_form_shows_places_left(client, world, login, db):
    offering = factories.create_offering(world.own_school)
    football = factories.create_activity(offering, name="足球", capacity=4, taken=1, grades=(1,))
    db.session.commit()
    login(world.users["guardian"])
    page = client.get(f"/enrolment/apply/{world.own_student.id}/{offering.id}").get_data(as_text=True)
    assert f'data-places-activity="{football.id}">3<' in page
    assert 'src="/static/js/places.js" defer' in page


def test_the_refresh_script_is_a_static_file_that_polls_every_20_seconds(client):
    response = client.get("/static/js/places.js")
    script = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200
    assert "data-places-activity" in script and "20000" in script


# --- Raised capacity ---


def test_a_raised_capacity_offers_the_place_to_the_first_waiting_child(client, world, admin, db, drawn):
    offering, football = drawn
    first, second = waiting_list(db, football)[:2]
    response = client.post(f"/programs/activities/{football.id}/edit",
                           data=activity_form_data(world, football, capacity="3"), follow_redirects=True)
    assert "Places offered to the waiting list, in queue order: 1." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ActivityChoice, first.id).status is ChoiceStatus.OFFERED
    assert db.session.get(ActivityChoice, first.id).offer_expires_at is not None
    assert db.session.get(ActivityChoice, second.id).status is ChoiceStatus.WAITING
    assert football.taken == 3 and football.capacity == 3


def test_capacity_below_the_places_taken_is_refused(client, world, admin, db, drawn):
    offering, football = drawn
    page = client.post(f"/programs/activities/{football.id}/edit",
                       data=activity_form_data(world, football, capacity="1")).get_data(as_text=True)
    assert "2 places are already taken or offered: the activity cannot have fewer places than that." in page
    db.session.expire_all()
    assert football.capacity == 2


# --- A new group ---


def test_a_new_group_offers_its_places_in_strict_queue_order(client, world, admin, db, drawn):
    offering, football = drawn
    queue = waiting_list(db, football)
    form = client.get(f"/programs/activities/{football.id}/new-group").get_data(as_text=True)
    assert 'value="足球 (group 2)"' in form
    data = activity_form_data(world, football, name="足球 (group 2)", capacity="3", room="201",
                              weekdays=["1", "3"], starts_at="16:10", ends_at="17:30",
                              activity="reading", grades=["1", "2"], fee="99")  # not asked: the first group's
    page = client.post(f"/programs/activities/{football.id}/new-group", data=data, follow_redirects=True)
    assert "Places offered to the waiting list, in queue order: 3." in page.get_data(as_text=True)
    group = db.session.scalar(db.select(Activity).filter_by(section_of_id=football.id))
    assert (group.name, group.capacity, group.taken, group.room) == ("足球 (group 2)", 3, 3, "201")
    assert (group.activity, group.grades, group.fee_cents, group.offering_id) == ("sports", [1], 0, offering.id)
    assert (group.weekdays, group.starts_at) == ([1, 3], time(16, 10))
    db.session.expire_all()
    statuses = [db.session.get(ActivityChoice, c.id) for c in queue]
    assert [c.status for c in statuses] == [ChoiceStatus.OFFERED] * 3 + [ChoiceStatus.WAITING] * 2
    assert all(c.section_id == group.id for c in statuses[:3])
    assert offering.changed_since_publish
    listing = client.get(f"/programs/{offering.id}").get_data(as_text=True)
    assert listing.index("<td>足球 <span") < listing.index("<td>↳ 足球 (group 2) <span")


def test_a_new_group_is_named_in_chinese_by_default(client, world, login, db, drawn):
    offering, football = drawn
    login(world.users["school_admin"])
    assert 'value="足球（二组）"' in client.get(f"/programs/activities/{football.id}/new-group").get_data(as_text=True)


def test_a_new_group_with_nobody_waiting_says_so(client, world, admin, db):
    offering = factories.create_offering(world.own_school)
    football = factories.create_activity(offering, name="足球", capacity=2, grades=(1,))
    db.session.commit()
    data = activity_form_data(world, football, name="足球 (group 2)", capacity="5")
    page = client.post(f"/programs/activities/{football.id}/new-group", data=data, follow_redirects=True)
    assert "Nobody is on the waiting list now" in page.get_data(as_text=True)
    assert window.places_left(offering) == {football.id: 7}


def test_a_group_of_a_group_is_not_found_and_a_first_group_with_groups_is_not_deleted(client, world, admin, db):
    offering = factories.create_offering(world.own_school)
    football = factories.create_activity(offering, name="足球", capacity=2)
    group = factories.create_activity(offering, name="足球（二组）", capacity=2, section_of_id=football.id)
    db.session.commit()
    assert client.get(f"/programs/activities/{group.id}/new-group").status_code == 404
    page = client.post(f"/programs/activities/{football.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "This activity has other groups: delete them first." in page
    assert db.session.get(Activity, football.id) is not None


def test_the_notice_lists_groups_under_their_activity(client, world, admin, db):
    offering = factories.create_offering(world.own_school, published=False)
    football = factories.create_activity(offering, name="足球", capacity=2)
    factories.create_activity(offering, name="书法", capacity=2)
    factories.create_activity(offering, name="足球 (group 2)", capacity=3, section_of_id=football.id)
    db.session.commit()
    client.post(f"/programs/{offering.id}/publish", data={"change_note": ""})
    page = client.get(f"/programs/notice/offering/{offering.id}/v1").get_data(as_text=True)
    first, group, other = ('<td class="stack-head">足球 <span', '<td class="stack-head">↳ 足球 (group 2) <span',
                           '<td class="stack-head">书法 <span')
    assert page.index(first) < page.index(group) < page.index(other)
    assert f'data-places-activity="{football.id}">5<' in page
