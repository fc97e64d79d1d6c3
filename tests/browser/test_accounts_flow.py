"""On a phone: a guardian registers with the code the SMS brought (read from the development outbox, as a developer
would), then forgets the password and sets a new one the same way."""

import re

import pytest

from tests.browser.page_checks import phone_context

# One xdist worker takes every browser test, so the live server and its demo load happen once.
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

MOBILE = "13512340001"


def code_from_outbox(page, mobile: str) -> str:
    """The newest 6-digit code sent to the number, as the outbox page shows it."""
    page.goto("/dev/outbox")
    message = page.locator(".outbox-message", has_text=mobile).first
    return re.search(r"\d{6}", message.locator(".outbox-text").inner_text()).group(0)


@pytest.fixture
def phone(browser, live_server):
    context = phone_context(browser, height=800, base_url=live_server)
    yield context.new_page()
    context.close()


def test_a_guardian_registers_with_the_sms_code_and_resets_the_password(phone):
    page = phone
    page.goto("/account/register")
    page.fill("#name", "浏览器家长")
    page.fill("#mobile", MOBILE)
    page.fill("#password", "sunny-kite-42")
    page.fill("#confirm", "sunny-kite-42")
    page.click("#submit")
    assert "验证码短信已发送到135****0001" in page.content()
    code = code_from_outbox(page, MOBILE)
    page.go_back()
    page.fill("#code", code)
    page.click("#submit")
    assert page.url.endswith("/dashboard") and "浏览器家长" in page.content()

    page.context.clear_cookies()
    page.goto("/account/login")
    page.click("text=忘记密码？")
    page.fill("#mobile", MOBILE)
    page.click("#submit")
    code = code_from_outbox(page, MOBILE)
    page.goto("/account/forgot/code")
    page.fill("#code", code)
    page.fill("#password", "rainy-boat-77")
    page.fill("#confirm", "rainy-boat-77")
    page.click("#submit")
    assert page.url.endswith("/dashboard")
    page.context.clear_cookies()
    page.goto("/account/login")
    page.fill("#mobile", MOBILE)
    page.fill("#password", "rainy-boat-77")
    page.click("#submit")
    assert page.url.endswith("/dashboard")
