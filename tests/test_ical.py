"""The personal iCal feed: secret link without login, published sessions in Asia/Shanghai, stable UIDs, revocable."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from app.extensions import db
from app.models_base import local_today
from app.rosters.models import RosterVersion, staff_key
from tests.test_myweek import monday_of, publish_week

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _events(response):
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return icalendar.Calendar.from_ical(response.get_data()).walk("VEVENT")


def test_feed_lists_published_sessions_in_shanghai_time(client, world):
    teacher, other = world.users["teacher"], world.users["class_teacher"]
    monday = monday_of(local_today()) + timedelta(days=7)
    _, [mine, _theirs] = publish_week(world.own_school, monday, [
        (2, "15:40", "17:10", "after_school", "reading", [teacher.staff_profile], "图书室", [world.own_class]),
        (3, "15:40", "16:40", "after_school", "sports", [other.staff_profile], "操场", []),
    ])
    [event] = _events(client.get(f"/calendar/{teacher.staff_profile.calendar_token}.ics"))
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    wednesday = monday + timedelta(days=2)
    assert start == datetime(wednesday.year, wednesday.month, wednesday.day, 15, 40, tzinfo=SHANGHAI)
    assert end - start == timedelta(minutes=90)
    assert start.utcoffset() == timedelta(hours=8)
    assert str(event["location"]) == "图书室"
    assert str(event["uid"]) == f"{mine.key}.{staff_key(teacher.staff_profile.id)}@after-school-service"


def test_feed_defines_the_shanghai_time_zone_its_events_name(client, world):
    teacher = world.users["teacher"]
    monday = monday_of(local_today()) + timedelta(days=7)
    publish_week(world.own_school, monday, [
        (1, "16:40", "17:40", "after_school", "reading", [teacher.staff_profile], "图书室", [world.own_class])])
    body = client.get(f"/calendar/{teacher.staff_profile.calendar_token}.ics").get_data()
    assert b"DTSTART;TZID=Asia/Shanghai:" in body
    calendar = icalendar.Calendar.from_ical(body)
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Asia/Shanghai"
    [standard] = zone.walk("STANDARD")
    assert standard.decoded("tzoffsetto") == timedelta(hours=8)
    assert calendar.get_missing_tzids() == set()
    # A calendar app reading only the file (not its own zone database) still gets 16:40 Beijing time.
    [event] = calendar.walk("VEVENT")
    tuesday = monday + timedelta(days=1)
    start = event.decoded("dtstart")
    assert (start.replace(tzinfo=None), start.utcoffset()) == (
        datetime(tuesday.year, tuesday.month, tuesday.day, 16, 40), timedelta(hours=8))


def test_uid_stable_across_versions(client, world):
    teacher = world.users["teacher"]
    monday = monday_of(local_today())
    week, _ = publish_week(world.own_school, monday, [
        (4, "16:00", "17:00", "after_school", "arts", [teacher.staff_profile], "美术室", [])])
    url = f"/calendar/{teacher.staff_profile.calendar_token}.ics"
    [first] = _events(client.get(url))
    db.session.add(RosterVersion(week=week, number=2, roster=dict(week.published.roster)))
    db.session.commit()
    [second] = _events(client.get(url))
    assert str(first["uid"]) == str(second["uid"])
    assert int(second["sequence"]) == 2


def test_unknown_token_is_404_and_revoking_changes_the_link(client, world, login):
    teacher = world.users["teacher"]
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404
    old = teacher.staff_profile.calendar_token
    assert client.get(f"/calendar/{old}.ics").status_code == 200
    login(teacher)
    assert client.post("/my-week/calendar/revoke").status_code == 302
    db.session.refresh(teacher.staff_profile)
    new = teacher.staff_profile.calendar_token
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200
    page = client.get("/my-week").get_data(as_text=True)
    assert f"/calendar/{new}.ics" in page and 'data-confirm=' in page


def test_deactivated_account_feed_is_gone(client, world):
    teacher = world.users["teacher"]
    teacher.is_active_account = False
    db.session.commit()
    assert client.get(f"/calendar/{teacher.staff_profile.calendar_token}.ics").status_code == 404
