"""page_checks finds what it promises, and lets a sound page through (static pages, no server)."""

import pytest

from tests.browser.page_checks import assert_sound, phone_context, watch

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SOUND = """<!doctype html><html lang="zh-CN"><head><meta name="viewport" content="width=device-width">
<style>a, button, label, input[type=text] { display: inline-block; min-height: 44px; min-width: 44px; }</style>
</head><body>
<p>请先阅读<a href="/notice">公示</a>，再提交申请。下载 XLSX 或 iCal：<a href="/x">导出</a></p>
<ul><li><a href="/a">我的一周</a></li></ul>
<label><input type="checkbox" name="c"> 同意</label>
<button lang="en">English</button> <code>NO_OVERLAP</code> <span translate="no">Sparkle</span>
<p>订阅地址 https://example.org/calendar/feed.ics</p>
<details><summary style="display:block;min-height:44px">我无法参加</summary>
  <input name="reason" style="height:10px"><p style="margin-top:-40px;background:#eee">原因</p></details>
<p>下面的文字</p>
<input type="text" name="n" placeholder="姓名">
</body></html>"""


@pytest.fixture
def phone(browser):
    context = phone_context(browser, touch=True)
    yield context.new_page()
    context.close()


def test_a_sound_page_passes(phone):
    problems = watch(phone)
    phone.set_content(SOUND)
    assert_sound(phone, problems, name="page-checks-sound")


@pytest.mark.parametrize(("body", "says"), [
    ("<div style='width:600px'>宽</div>", "scrolls sideways"),
    ("<ul><li><a href='/x' style='font-size:10px'>小</a></li></ul>", '<a href=/x> "小" is'),
    ("<p>下一步：<a href='/go' style='display:inline-block;font-size:10px'>继续</a></p>", '<a href=/go> "继续" is'),
    ("<label style='font-size:10px'><input type='checkbox' name='agree'>同意</label>", "name=agree"),
    ("<div style='background:#fff;border:1px solid #ccc;height:20px'>第一张卡片</div>"
     "<div style='margin-top:-30px'>第二张卡片的文字</div>", 'the box of div overlaps "第二张卡片的文字" in div'),
    ("<p>状态: queued</p>", '"状态: queued" in p (queued)'),
    ("<input type='submit' value='Save' style='height:50px;width:60px'>", '"Save" on input'),
    ("<script>console.error('broken')</script>", "console error"),
    ("<script>undefinedFunction()</script>", "script error"),
])
def test_each_check_names_what_is_wrong(phone, body, says):
    problems = watch(phone)
    phone.set_content(f"<!doctype html><html lang='zh-CN'><head><meta name='viewport' content='width=device-width'>"
                      f"</head><body>{body}</body></html>")
    with pytest.raises(AssertionError) as failed:
        assert_sound(phone, problems, name="page-checks-broken")
    assert says in str(failed.value)
