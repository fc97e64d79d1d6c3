"""Ids beyond the integer range and dates outside the calendar are a missing page (404) or a bad request (400) for
every role, on SQLite and on PostgreSQL, never a server error (app/params.py)."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models_base import local_today
from tests.test_myweek import monday_of, publish_week

pytestmark = pytest.mark.both_databases

# Just past PostgreSQL's integer, past SQLite's 64-bit integer, and past what Python turns into an int from text.
HUGE = [str(2**31), str(2**63), "9" * 5000]

ID_URLS = [  # (role, URL with {id})
    ("guardian", "/enrolment/applications/{id}"),
    ("guardian", "/enrolment/applications/{id}/statement"),
    ("guardian", "/enrolment/lotteries/{id}.json"),
    ("school_admin", "/schools/students/{id}/edit"),
    ("school_admin", "/schools/terms/{id}"),
    ("school_admin", "/staff/{id}"),
    ("school_admin", "/programs/{id}"),
    ("school_admin", "/rosters/weeks/{id}"),
    ("school_admin", "/rosters/weeks/{id}/versions/{id}"),
    ("school_admin", "/rosters/jobs/{id}.json"),
    ("class_teacher", "/my-week/sessions/{id}/children"),
    ("teacher", "/absences/{id}"),
    ("provider_staff", "/my-week/sessions/{id}/children"),
    ("county_officer", "/providers/{id}"),
    ("county_officer", "/schools/county/{id}"),
    (None, "/programs/notice/{id}"),
    (None, "/programs/notice/offering/{id}/places.json"),
    (None, "/providers/whitelist/{id}"),
]


@pytest.mark.parametrize(("role", "url"), ID_URLS)
def test_huge_ids_are_not_found(client, world, login, role, url):
    if role is not None:
        login(world.users[role])
    for huge in HUGE:
        response = client.get(url.format(id=huge))
        assert response.status_code == 404, (url, huge[:20], response.status_code)


@pytest.mark.parametrize("url", ["/schools/students/{id}/delete", "/enrolment/choices/{id}/accept",
                                 "/rosters/weeks/{id}/publish"])
def test_huge_ids_in_forms_posted_to_are_not_found(client, world, login, url):
    login(world.users["guardian" if "choices" in url else "school_admin"])
    for huge in HUGE:
        assert client.post(url.format(id=huge)).status_code == 404, (url, huge[:20])


def test_huge_numbers_in_query_strings_are_ignored(client, world, login):
    week, _ = publish_week(world.own_school, monday_of(local_today()), [
        (0, "15:40", "16:40", "after_school", "reading", [world.users["teacher"].staff_profile], "101", []),
    ])
    db.session.commit()
    login(world.users["school_admin"])
    for huge in HUGE:
        assert client.get(f"/schools/students?class_id={huge}&page={huge}").status_code == 200, huge[:20]
        assert client.get(f"/schools/students/new?class_id={huge}").status_code == 200, huge[:20]
        assert client.get(f"/rosters/weeks/{week.id}/diff?a={huge}&b={huge}").status_code == 200, huge[:20]


BAD_DATES = ["9999-12-31", "9999-12-27", "0001-01-01", "2026-02-30", "2026-13-01", "tomorrow", "1" * 5000]
WEEK_URLS = [("teacher", "/my-week"), ("provider_staff", "/my-week/export.xlsx"),
             ("school_admin", "/exports/roster"), ("school_admin", "/exports/roster.xlsx"),
             ("school_admin", "/exports/workload.xlsx")]


@pytest.mark.parametrize(("role", "url"), WEEK_URLS)
def test_dates_outside_the_calendar_are_bad_requests(client, world, login, role, url):
    login(world.users[role])
    for day in BAD_DATES:
        response = client.get(f"{url}?week={day}")
        assert response.status_code == 400, (url, day[:20], response.status_code)
    for day in ("2099-12-31", "2000-01-01", (local_today() + timedelta(days=7)).isoformat(), ""):
        assert client.get(f"{url}?week={day}").status_code == 200, (url, day)
