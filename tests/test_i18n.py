"""Every marked string has a Chinese translation with the same placeholders; the header switches to English."""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests import factories

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "app/translations/zh/LC_MESSAGES/messages.po"
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa%])")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The strings marked in app/ now, extracted as scripts/i18n.sh does, into a scratch .pot."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l",
         "-k", "lazy_gettext", "--no-location", "--sort-output", "-o", str(pot), "app"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stderr[-3000:]}"
    with pot.open("rb") as source:
        return read_po(source)


@pytest.fixture(scope="module")
def catalog():
    with CATALOG.open("rb") as source:
        return read_po(source, locale="zh_Hans_CN")


def forms(message) -> list[str]:
    """A message's text forms (singular and plural)."""
    return list(message) if isinstance(message, tuple | list) else [message]


def placeholders(text: str) -> Counter:
    """Named placeholders by name, positional ones by type; '%%' is a literal."""
    return Counter(name or f"%{kind}" for name, kind in PLACEHOLDER.findall(text) if kind != "%")


def test_extraction_finds_the_strings(extracted):
    ids = {message.id for message in extracted if message.id}
    assert "Log in" in ids and "Back to the home page" in ids  # from a template and from the error page
    assert "Wrong mobile number or password." in ids  # from Python code


def test_every_marked_string_has_a_chinese_translation(extracted, catalog):
    missing, fuzzy = [], []
    for message in extracted:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        if translated is None or not all(form.strip() for form in forms(translated.string or "")):
            missing.append(forms(message.id)[0])
        elif translated.fuzzy:
            fuzzy.append(forms(message.id)[0])
    report = "\n".join([f"  untranslated: {msgid!r}" for msgid in missing] + [f"  fuzzy: {msgid!r}" for msgid in fuzzy])
    assert not missing and not fuzzy, (
        f"{len(missing)} untranslated and {len(fuzzy)} fuzzy strings in {CATALOG.relative_to(ROOT)} "
        f"(run scripts/i18n.sh, then translate):\n{report}"
    )


def test_translations_keep_the_placeholders(catalog):
    wrong = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        expected = placeholders(forms(message.id)[-1])
        for form in forms(message.string):
            if form and placeholders(form) != expected:
                wrong.append(f"  {forms(message.id)[0]!r} -> {form!r}")
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_the_placeholder_check_notices_a_difference():
    assert placeholders("%(count)d rows, %(name)s") == placeholders("%(name)s：%(count)d 行")
    assert placeholders("%(count)d rows") != placeholders("%(number)d 行")
    assert placeholders("100%% of %s") != placeholders("全部")


def test_pages_are_chinese_by_default(client):
    page = client.get("/account/login").get_data(as_text=True)
    assert 'lang="zh-CN"' in page
    assert "<h1>登录</h1>" in page


def test_the_header_switch_gives_english_pages_and_back(client):
    response = client.post("/language", data={"locale": "en"}, headers={"Referer": "http://localhost/account/login"})
    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost/account/login"
    page = client.get("/account/login").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "<h1>Log in</h1>" in page
    assert 'value="zh_CN"' in page  # the switch now offers Chinese
    client.post("/language", data={"locale": "zh_CN"})
    assert "<h1>登录</h1>" in client.get("/account/login").get_data(as_text=True)


def test_an_unknown_language_is_ignored(client):
    client.post("/language", data={"locale": "xx"})
    assert 'lang="zh-CN"' in client.get("/account/login").get_data(as_text=True)


def test_a_logged_in_users_choice_follows_them_to_another_device(app, client, world, login):
    user = world.users["teacher"]
    login(user)
    client.post("/language", data={"locale": "en"})
    other_device = app.test_client()
    other_device.post("/account/login", data={"mobile": user.mobile, "password": factories.PASSWORD})
    assert 'lang="en"' in other_device.get("/dashboard").get_data(as_text=True)
