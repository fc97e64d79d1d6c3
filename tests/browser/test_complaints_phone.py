"""The complaint pages on a 375 px phone in Chinese, as page_checks judges them (no sideways scroll, 44 px targets,
no English, no script or server error): filing without an account (number, code, the tracking link), following it,
the school's case page with the logged reveal and its answer, the county's counts, the contacts form and the public
transparency page. Requests go through the Flask test client (data from the factories).
Screenshots: test-artifacts/complaints-NN-*.png."""

from datetime import timedelta

import pytest

from app.extensions import db
from app.models_base import local_today
from app.programs.services import publish_offering
from tests import factories
from tests.browser.page_checks import assert_sound, phone_context, watch
from tests.browser.test_daily_pickup_phone import BASE, _through
from tests.sms import sent_code

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def phone(browser, client):
    context = phone_context(browser, height=740)
    page = context.new_page()
    page.route(f"{BASE}/**", _through(client))
    yield page
    context.close()


def test_complaint_pages_on_a_phone(app, client, phone, world, login):
    school = world.own_school
    provider = factories.create_provider(world.county)
    today = local_today()
    term = factories.create_program_term(school, starts_on=today - timedelta(days=30),
                                         ends_on=today + timedelta(days=90))
    offering = factories.create_offering(school, published=False, term=term)
    factories.create_activity(offering, name="足球", provider=provider, fee_cents=3000)
    publish_offering(offering, world.users["school_admin"])
    db.session.commit()
    problems = watch(phone)

    phone.goto(f"{BASE}/complaints/school/{school.id}/new")
    assert_sound(phone, problems, name="complaints-01-mobile-step")
    phone.fill("#mobile", "13712345678")
    phone.click("form button[type=submit], form input[type=submit]")
    phone.wait_for_selector("#code")
    phone.fill("#code", sent_code("13712345678"))
    phone.select_option("#category", "forced")
    phone.fill("#body", "班主任要求全班必须参加课后服务，不参加要写说明。")
    phone.check("#identity_shared")
    assert_sound(phone, problems, name="complaints-02-form")
    phone.click("#submit")
    phone.wait_for_selector("[data-tracking-link]")
    assert_sound(phone, problems, name="complaints-03-filed")
    link = phone.inner_text("[data-tracking-link]").replace("http://localhost", BASE)
    phone.goto(link)
    phone.fill("#mobile", "13712345678")
    phone.click("#submit")
    phone.wait_for_selector("[data-status=open]")
    assert_sound(phone, problems, name="complaints-04-progress")

    login(world.users["school_admin"])
    phone.goto(f"{BASE}/complaints/school")
    assert_sound(phone, problems, name="complaints-05-school-list")
    phone.click("[data-complaint]")
    phone.click("text=查看姓名和手机号")
    phone.wait_for_selector("[data-identity]")
    assert_sound(phone, problems, name="complaints-06-case-revealed")
    phone.fill("#text", "已约谈班主任：课后服务自愿参加，不需要写说明。")
    phone.click("#submit")
    phone.wait_for_selector("[data-school-answer]")
    phone.goto(f"{BASE}/complaints/contacts")
    phone.fill("#complaint_phone", "0571-8888 1234")
    assert_sound(phone, problems, name="complaints-07-contacts")
    # Saved, the form redirects to its own address, which the test's request routing does not follow: the test
    # client sends it.
    client.post("/complaints/contacts", data={"complaint_phone": "0571-8888 1234", "complaint_email": ""})

    client.post("/account/logout")
    login(world.users["county_officer"])
    phone.goto(f"{BASE}/complaints/county")
    assert_sound(phone, problems, name="complaints-08-county")
    client.post("/account/logout")
    phone.goto(f"{BASE}/public/county/{world.county.id}")
    phone.wait_for_selector(f"[data-provider='{provider.name}']")
    assert_sound(phone, problems, name="complaints-09-public")
    phone.goto(f"{BASE}/programs/notice/{school.id}")
    phone.wait_for_selector("text=0571-8888 1234")
    assert_sound(phone, problems, name="complaints-10-notice-contacts")
