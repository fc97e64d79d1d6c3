"""The school day read back, on a 375 px phone in Chinese, on the demo: the guardian's home → 张子涵的一天 (and a
month of history), the class teacher's home → 班级的一天, the coordinator's and the county officer's 月度考勤.
Every page passes page_checks.assert_sound (no sideways scroll, 44 px targets, no English, no error).
Screenshots: test-artifacts/daybook-NN-<step>.png."""

import pytest

from app.demo import DEMO_PASSWORD
from tests.browser.page_checks import assert_sound, phone_context, watch

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]



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


def test_the_recorded_school_day_on_a_phone(browser, live_server):
    step = iter(range(1, 100))

    def check(page, name: str) -> None:
        page.wait_for_load_state()
        assert_sound(page, page.problems, name=f"daybook-{next(step):02d}-{name}")

    context, page = phone(browser, live_server, "13800000100")
    check(page, "guardian-home")
    page.get_by_role("link", name="张子涵的一天").click()
    check(page, "child-day")
    assert "张子涵的一天" in page.inner_text("h1")
    page.select_option("#month", index=1)
    page.click("#history button[type=submit]")
    check(page, "child-day-last-month")
    context.close()

    context, page = phone(browser, live_server, "13800000020")
    page.get_by_role("link", name="班级的一天：1年级1班").click()
    check(page, "class-day")
    assert "张子涵" in page.inner_text("main")
    context.close()

    for mobile, name in (("13800000011", "coordinator"), ("13800000001", "county")):
        context, page = phone(browser, live_server, mobile)
        page.get_by_role("link", name="月度考勤").click()
        if name == "county":
            page.click("main form [type=submit]")
        check(page, f"{name}-attendance")
        with page.expect_download() as download:
            page.get_by_role("link", name="按班级（XLSX）").first.click()
        assert download.value.suggested_filename.endswith("-class.xlsx")
        context.close()
