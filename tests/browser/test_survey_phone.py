"""The quality survey on a 375 px phone in Chinese, on the demo: a family answers for their child from the home
page's card, a teacher answers the staff questionnaire, the county reads the past term's results and starts a
provider's evaluation from them, the principal reads their school's. Every page passes page_checks.assert_sound
(no sideways scroll, 44 px targets, no English, no error). Screenshots: test-artifacts/survey-NN-<step>.png."""

import sqlite3
from contextlib import closing

import pytest

from app.demo import DEMO_PASSWORD
from tests.browser.page_checks import assert_sound, phone_context, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

# A family with a child placed this term whom the open survey still waits for (the demo's answers are seeded).
WAITING_FAMILY = """
SELECT u.mobile FROM user u
JOIN guardian_link l ON l.guardian_id = u.id AND l.verified
JOIN application a ON a.student_id = l.student_id AND a.status = 'approved'
JOIN offering o ON o.id = a.offering_id JOIN term t ON t.id = o.term_id
JOIN survey s ON s.term_name = t.name
  AND s.opens_on <= date('now', '+8 hours') AND s.closes_on >= date('now', '+8 hours')
WHERE NOT EXISTS (SELECT 1 FROM guardian_answer g WHERE g.survey_id = s.id AND g.student_id = l.student_id)
ORDER BY u.mobile LIMIT 1"""


def phone(browser, base_url: str, mobile: str):
    context = phone_context(browser, touch=True, device_scale_factor=1, base_url=base_url)
    page = context.new_page()
    page.problems = watch(page)
    page.goto("/account/login")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url("**/dashboard")
    return context, page


def test_the_survey_on_a_phone(browser, live_server, live_database):
    step = iter(range(1, 100))

    def check(page, name: str) -> None:
        page.wait_for_load_state()
        assert_sound(page, page.problems, name=f"survey-{next(step):02d}-{name}")

    with closing(sqlite3.connect(live_database)) as db:
        (family,) = db.execute(WAITING_FAMILY).fetchone()
    context, page = phone(browser, live_server, family)
    check(page, "family-home")
    page.locator("[data-survey-waiting]").get_by_role("link", name="填写问卷").click()
    check(page, "family-waiting")
    page.locator("main a[href*='/children/']").first.click()
    check(page, "family-answer")
    for fieldset in page.locator("main fieldset").all():
        fieldset.locator("input[type=radio]").first.check()  # 非常满意
    page.fill("textarea[name=comment]", "老师很用心，谢谢！")
    page.get_by_role("button", name="提交").click()
    check(page, "family-sent")
    assert "问卷已提交" in page.inner_text("body")
    page.goto("/dashboard")
    assert page.locator("[data-survey-waiting]").count() == 0
    context.close()

    context, page = phone(browser, live_server, "13800000030")
    page.locator("[data-survey-waiting]").get_by_role("link", name="填写问卷").click()
    page.get_by_role("link", name="填写教职工问卷").click()
    check(page, "staff-answer")
    page.get_by_role("button", name="提交").click()
    assert "请选择一项" in page.inner_text("main")  # nothing chosen: the page says so
    for fieldset in page.locator("main fieldset").all():
        fieldset.locator("input[type=radio]").nth(1).check()
    page.get_by_role("button", name="提交").click()
    check(page, "staff-sent")
    context.close()

    context, page = phone(browser, live_server, "13800000001")
    page.get_by_role("link", name="满意度调查").click()
    check(page, "county-surveys")
    page.locator("main table a[href^='/surveys/']").last.click()  # the past term's, closed
    check(page, "county-results")
    assert page.locator("[data-figure=survey-provider]").count() == 2
    page.locator("main a[href*='/evaluate']").first.click()
    check(page, "county-evaluate")
    assert page.input_value("input[name=score]")  # the families' mean as the starting score
    page.goto("/surveys/new")
    check(page, "county-new")
    context.close()

    context, page = phone(browser, live_server, "13800000010")
    page.get_by_role("link", name="满意度调查").click()
    page.locator("main table a[href^='/surveys/']").last.click()
    check(page, "principal-results")
    assert page.locator("[data-figure=survey-school-guardians]").count() == 1
    context.close()
