"""The county's provider whitelist: applications, vetting with history, evaluations, staff logins, public list."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.accounts.models import Role, User
from app.providers.forms import credit_code_is_valid
from app.providers.models import (
    PROVIDER_CATEGORIES,
    Provider,
    ProviderEvaluation,
    ProviderStatus,
    ProviderStatusChange,
    ReasonCategory,
    VettingAction,
)
from app.staff.models import StaffType
from scheduling import policy
from tests import factories

VALID_CODE = "91350100M000100Y43"
FUTURE = date.today() + timedelta(days=365)


def application(**overrides) -> dict:
    data = {"name": "新芽体育", "credit_code": VALID_CODE, "contact_name": "李教练", "contact_mobile": "13712345678",
            "categories": ["sports", "games"]}
    data.update(overrides)
    return data


def count(db, model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


@pytest.fixture
def officer(world, login):
    login(world.users["county_officer"])
    return world.users["county_officer"]


@pytest.fixture
def applied(world, db):
    provider = factories.create_provider(world.county, status=ProviderStatus.APPLIED, vetted_until=None)
    db.session.commit()
    return provider


# --- Rules ---

def test_allowed_categories_come_from_the_policy_module():
    assert "sports" in PROVIDER_CATEGORIES and "arts" in PROVIDER_CATEGORIES
    assert not set(PROVIDER_CATEGORIES) & policy.PROVIDER_FORBIDDEN_ACTIVITIES
    assert policy.NEW_LESSON not in PROVIDER_CATEGORIES
    assert set(PROVIDER_CATEGORIES) <= set(policy.ACTIVITIES)


@pytest.mark.parametrize(("code", "valid"), [
    (VALID_CODE, True),
    ("91440300708461136T", True),
    ("91440300708461136A", False),  # wrong check character
    ("91350100M000100Y4", False),  # 17 characters
    ("91350100M000100YO3", False),  # O is not in the alphabet
])
def test_credit_code_check(code, valid):
    assert credit_code_is_valid(code) is valid


# --- Adding an application ---

def test_officer_adds_an_application_recorded_in_history(client, db, officer):
    response = client.post("/providers/new", data=application(credit_code=VALID_CODE.lower()))
    assert response.status_code == 302
    provider = db.session.scalar(db.select(Provider).filter_by(name="新芽体育"))
    assert provider.county_id == officer.county_id
    assert provider.status is ProviderStatus.APPLIED
    assert provider.credit_code == VALID_CODE
    assert provider.categories == ["games", "sports"]
    [change] = provider.status_changes
    assert change.action is VettingAction.APPLY and change.changed_by_id == officer.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待审核" in page and "体育" in page and "登记申请" in page


@pytest.mark.parametrize(("category", "message"), [
    ("tutoring", "由学校教职工承担"),
    ("supervision", "由学校教职工承担"),
    ("数学", "属于学科类"),
    ("new_lesson", "不得讲授新课"),
    ("chess", "未知的活动类别：chess"),
])
def test_subject_type_or_unknown_category_is_refused_with_the_reason(client, db, officer, category, message):
    before = count(db, Provider)
    response = client.post("/providers/new", data=application(categories=["sports", category]))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(db, Provider) == before
    assert count(db, ProviderStatusChange) == 0


def test_bad_application_fields_are_explained_and_nothing_is_written(client, db, officer, world):
    existing = db.session.scalar(db.select(Provider).filter_by(county_id=world.county.id))
    cases = [
        (application(credit_code="91350100M000100Y4"), "统一社会信用代码为18位"),
        (application(credit_code="91350100M000100Y44"), "统一社会信用代码无效"),
        (application(name="机" * 101), "最多100个字符"),
        (application(name=existing.name), "本县名单中已有同名机构"),
        (application(contact_mobile="1234"), "手机号为以1开头的11位数字"),
        (application(categories=[]), "请至少选择一项活动"),
    ]
    before = count(db, Provider)
    for data, message in cases:
        response = client.post("/providers/new", data=data)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), message
    assert count(db, Provider) == before


# --- Vetting ---

def test_approve_renew_suspend_exit_with_history(client, db, officer, applied):
    url = f"/providers/{applied.id}"
    assert client.post(f"{url}/approve", data={"vetted_until": FUTURE.isoformat()}).status_code == 302
    db.session.refresh(applied)
    assert applied.status is ProviderStatus.ACTIVE and applied.vetted_until == FUTURE

    later = FUTURE + timedelta(days=365)
    assert client.post(f"{url}/renew", data={"vetted_until": later.isoformat()}).status_code == 302
    db.session.refresh(applied)
    assert applied.vetted_until == later

    response = client.post(f"{url}/suspend", data={"reason_category": "safety", "reason": "场地消防检查未通过"})
    assert response.status_code == 302
    db.session.refresh(applied)
    assert applied.status is ProviderStatus.SUSPENDED and applied.status_reason == "场地消防检查未通过"

    response = client.post(f"{url}/exit", data={"reason_category": "fees", "reason": "整改期间违规收费"})
    assert response.status_code == 302
    db.session.refresh(applied)
    assert applied.status is ProviderStatus.EXITED

    actions = [c.action for c in reversed(applied.status_changes)]
    assert actions == [VettingAction.APPROVE, VettingAction.RENEW, VettingAction.SUSPEND, VettingAction.EXIT]
    assert all(c.changed_by_id == officer.id and c.changed_at is not None for c in applied.status_changes)
    assert applied.status_changes[0].reason_category is ReasonCategory.FEES
    assert applied.status_changes[0].from_status is ProviderStatus.SUSPENDED

    page = client.get(url).get_data(as_text=True)
    assert "变更记录" in page
    assert "场地消防检查未通过" in page and "整改期间违规收费" in page
    assert page.count(officer.name) >= 4

    # Exit is final: approving again is refused with the reason, nothing changes.
    response = client.post(f"{url}/approve", data={"vetted_until": FUTURE.isoformat()})
    assert response.status_code == 200
    assert "不能进行此操作" in response.get_data(as_text=True)
    db.session.refresh(applied)
    assert applied.status is ProviderStatus.EXITED and len(applied.status_changes) == 4


@pytest.mark.parametrize("day", [date.today(), date.today() - timedelta(days=1)])
def test_vetted_until_not_in_the_future_is_refused(client, db, officer, applied, day):
    response = client.post(f"/providers/{applied.id}/approve", data={"vetted_until": day.isoformat()})
    assert response.status_code == 200
    assert "有效期截止日须晚于今天" in response.get_data(as_text=True)
    db.session.refresh(applied)
    assert applied.status is ProviderStatus.APPLIED and applied.vetted_until is None
    assert applied.status_changes == []


def test_approval_needs_a_date(client, db, officer, applied):
    response = client.post(f"/providers/{applied.id}/approve", data={"vetted_until": ""})
    assert "请填写日期" in response.get_data(as_text=True)
    db.session.refresh(applied)
    assert applied.status is ProviderStatus.APPLIED


def test_renewal_must_extend_the_period(client, db, officer, world):
    provider = factories.create_provider(world.county, vetted_until=FUTURE)
    db.session.commit()
    response = client.post(f"/providers/{provider.id}/renew", data={"vetted_until": FUTURE.isoformat()})
    assert "新的截止日须晚于当前截止日" in response.get_data(as_text=True)
    db.session.refresh(provider)
    assert provider.status_changes == []


@pytest.mark.parametrize(("data", "message"), [
    ({"reason_category": "safety", "reason": ""}, "请填写原因"),
    ({"reason_category": "", "reason": "有问题"}, "请选择原因类别"),
    ({"reason_category": "gossip", "reason": "有问题"}, "请选择原因类别"),
    ({"reason_category": "safety", "reason": "长" * 501}, "最多500个字符"),
])
def test_suspension_needs_a_reason(client, db, officer, world, data, message):
    provider = factories.create_provider(world.county)
    db.session.commit()
    response = client.post(f"/providers/{provider.id}/suspend", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.session.refresh(provider)
    assert provider.status is ProviderStatus.ACTIVE and provider.status_changes == []


def test_destructive_actions_ask_for_confirmation(client, db, officer, world):
    provider = factories.create_provider(world.county)
    db.session.commit()
    page = client.get(f"/providers/{provider.id}").get_data(as_text=True)
    for action in ("suspend", "exit"):
        form = re.search(rf'<form method="post" action="/providers/{provider.id}/{action}".*?</form>', page, re.S)
        assert form and "data-confirm=" in form.group(0), action
    assert client.get(f"/providers/{provider.id}/suspend").status_code == 405


def test_another_countys_provider_is_not_found(client, db, officer, world):
    far = db.session.scalar(db.select(Provider).filter_by(county_id=world.far_school.county.id))
    far.name = "外县机构"
    db.session.commit()
    assert client.get(f"/providers/{far.id}").status_code == 404
    response = client.post(f"/providers/{far.id}/suspend", data={"reason_category": "safety", "reason": "x"})
    assert response.status_code == 404
    db.session.refresh(far)
    assert far.status is ProviderStatus.ACTIVE
    assert far.name not in client.get("/providers/").get_data(as_text=True)


# --- The whitelist page ---

def test_index_filters_by_status_and_highlights_expiry(client, db, officer, world):
    soon = factories.create_provider(world.county, vetted_until=date.today() + timedelta(days=10))
    expired = factories.create_provider(world.county, vetted_until=date.today() - timedelta(days=1))
    suspended = factories.create_provider(world.county, status=ProviderStatus.SUSPENDED)
    soon.name, expired.name, suspended.name = "快到期机构", "已过期机构", "暂停机构"
    db.session.commit()
    page = client.get("/providers/").get_data(as_text=True)
    assert soon.name in page and expired.name in page and suspended.name in page
    assert "30天内到期" in page and "已过期" in page
    filtered = client.get("/providers/?status=suspended").get_data(as_text=True)
    assert suspended.name in filtered and soon.name not in filtered


# --- Evaluations ---

def test_unsatisfactory_evaluation_offers_suspension(client, db, officer, world):
    provider = factories.create_provider(world.county)
    db.session.commit()
    url = f"/providers/{provider.id}"
    response = client.post(f"{url}/evaluate", data={"term_name": "2026秋季学期", "rating": "fail",
                                                   "comment": "多次无故缺课"})
    assert response.status_code == 302
    [evaluation] = provider.evaluations
    assert evaluation.is_unsatisfactory and evaluation.evaluated_by_id == officer.id
    page = client.get(url).get_data(as_text=True)
    assert "评估结果为不合格" in page  # the flash
    assert "最近一次评估（2026秋季学期）不合格" in page
    assert '<option selected value="evaluation">' in page
    assert "多次无故缺课" in page


def test_satisfactory_score_does_not_offer_suspension(client, db, officer, world):
    provider = factories.create_provider(world.county)
    db.session.commit()
    client.post(f"/providers/{provider.id}/evaluate", data={"term_name": "2026秋季学期", "score": "88"})
    [evaluation] = provider.evaluations
    assert evaluation.score == 88 and evaluation.rating is None and not evaluation.is_unsatisfactory
    assert "不合格。可暂停" not in client.get(f"/providers/{provider.id}").get_data(as_text=True)


@pytest.mark.parametrize(("data", "message"), [
    ({"term_name": "2026秋季学期"}, "请给出等级或分数"),
    ({"term_name": "2026秋季学期", "score": "101"}, "分数应在0到100之间"),
    ({"term_name": "", "rating": "pass"}, "请填写学期名称"),
    ({"term_name": "学" * 61, "rating": "pass"}, "最多60个字符"),
    ({"term_name": "2026秋季学期", "rating": "superb"}, "请从列表中选择等级"),
    ({"term_name": "已评学期", "rating": "pass"}, "该学期已评估过"),
])
def test_bad_evaluations_are_refused(client, db, officer, world, data, message):
    provider = factories.create_provider(world.county)
    provider.evaluations.append(ProviderEvaluation(term_name="已评学期", score=90))
    db.session.commit()
    response = client.post(f"/providers/{provider.id}/evaluate", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(db, ProviderEvaluation) == 1


# --- Provider staff logins ---

def test_officer_creates_a_staff_login_shown_once_and_it_works(app, client, db, officer, world):
    provider = factories.create_provider(world.county, categories=("arts", "club"))
    db.session.commit()
    response = client.post(f"/providers/{provider.id}/staff/new", data={"name": "钱老师", "mobile": "13755550000"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    password = re.search(r"<code>([^<]+)</code>", page).group(1)
    assert len(password) >= 8 and "只显示这一次" in page

    user = db.session.scalar(db.select(User).filter_by(mobile="13755550000"))
    assert user.role is Role.PROVIDER_STAFF and user.provider_id == provider.id
    assert user.staff_profile.staff_type is StaffType.PROVIDER
    assert user.staff_profile.skills == ["arts", "club"] and user.staff_profile.opted_in
    assert password not in client.get(f"/providers/{provider.id}").get_data(as_text=True)

    staff_client = app.test_client()
    response = staff_client.post("/account/login", data={"mobile": "13755550000", "password": password})
    assert response.status_code == 302
    # The officer chose this password: the staff member sets their own first.
    assert staff_client.get("/dashboard").headers["Location"].endswith("/account/password")
    assert staff_client.post("/account/password", data={
        "current": password, "password": "my-own-choice-7", "confirm": "my-own-choice-7"}).status_code == 302
    dashboard = staff_client.get("/dashboard").get_data(as_text=True)
    assert provider.name in dashboard and "艺术" in dashboard


def test_officer_may_set_the_initial_password(app, client, db, officer, world):
    provider = factories.create_provider(world.county)
    db.session.commit()
    response = client.post(f"/providers/{provider.id}/staff/new",
                           data={"name": "钱老师", "mobile": "13755550001", "password": "chosen-password"})
    assert "<code>" not in response.get_data(as_text=True)
    login = app.test_client().post("/account/login", data={"mobile": "13755550001", "password": "chosen-password"})
    assert login.status_code == 302


def test_staff_login_with_taken_mobile_is_refused(client, db, officer, world):
    provider = factories.create_provider(world.county)
    db.session.commit()
    before = count(db, User)
    response = client.post(f"/providers/{provider.id}/staff/new",
                           data={"name": "钱老师", "mobile": world.users["guardian"].mobile})
    assert "该手机号已有账号" in response.get_data(as_text=True)
    assert count(db, User) == before


def test_deactivated_staff_login_can_no_longer_log_in(app, client, db, officer, world):
    staff = world.users["provider_staff"]
    response = client.post(f"/providers/{staff.provider_id}/staff/{staff.id}/deactivate")
    assert response.status_code == 302
    db.session.refresh(staff)
    assert not staff.is_active_account
    login = app.test_client().post("/account/login", data={"mobile": staff.mobile, "password": factories.PASSWORD})
    assert login.status_code == 200


def test_staff_of_another_provider_cannot_be_deactivated_through_this_one(client, db, officer, world):
    own_provider = factories.create_provider(world.county)
    db.session.commit()
    staff = world.users["provider_staff"]  # works for a different provider of the same county
    response = client.post(f"/providers/{own_provider.id}/staff/{staff.id}/deactivate")
    assert response.status_code == 404
    db.session.refresh(staff)
    assert staff.is_active_account


# --- Provider staff's own view ---

def test_provider_dashboard_shows_only_their_organisation(client, db, world, login):
    staff = world.users["provider_staff"]
    staff.provider.name = "星火体育"
    other = factories.create_provider(world.county)
    other.name = "墨香书画社"
    world.other_users["provider_staff"].provider.name = "外县机构"
    db.session.commit()
    login(staff)
    page = client.get("/dashboard").get_data(as_text=True)
    assert staff.provider.name in page
    assert "有效期至2027-06-30" in page
    assert other.name not in page
    assert world.other_users["provider_staff"].provider.name not in page
    assert client.get("/providers/").status_code == 403
    assert client.get(f"/providers/{staff.provider_id}").status_code == 403


def test_suspended_provider_staff_are_refused_at_login_and_told_why(app, client, db, world, officer):
    staff = world.users["provider_staff"]
    staff_client = app.test_client()
    staff_client.post("/account/login", data={"mobile": staff.mobile, "password": factories.PASSWORD})
    assert staff_client.get("/my-week").status_code == 200
    response = client.post(f"/providers/{staff.provider_id}/suspend", follow_redirects=True,
                           data={"reason_category": "evaluation", "reason": "学期评价不合格，暂停整改"})
    page = response.get_data(as_text=True)
    assert "其工作人员已不能登录" in page  # the officer is told what the suspension did
    # The live session ends at once: the next page asks for a login.
    response = staff_client.get("/my-week")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    response = staff_client.post("/account/login", data={"mobile": staff.mobile, "password": factories.PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "暂停" in page and "评估不合格" in page and "学期评价不合格，暂停整改" in page
    assert staff_client.get("/my-week").status_code == 302


def test_re_approved_provider_staff_may_log_in_again(app, client, db, world, officer):
    staff = world.users["provider_staff"]
    client.post(f"/providers/{staff.provider_id}/suspend", data={"reason_category": "safety", "reason": "整改"})
    staff_client = app.test_client()
    credentials = {"mobile": staff.mobile, "password": factories.PASSWORD}
    assert staff_client.post("/account/login", data=credentials).status_code == 200
    until = (date.today() + timedelta(days=200)).isoformat()
    client.post(f"/providers/{staff.provider_id}/approve", data={"vetted_until": until})
    assert staff_client.post("/account/login", data=credentials).status_code == 302


@pytest.mark.parametrize("change", ["exit", "expired", "applied"])
def test_staff_of_a_provider_that_may_not_work_cannot_log_in(app, db, world, change):
    staff = world.users["provider_staff"]
    provider = staff.provider
    if change == "exit":
        provider.status = ProviderStatus.EXITED
    elif change == "expired":
        provider.vetted_until = date.today() - timedelta(days=2)
    else:
        provider.status, provider.vetted_until = ProviderStatus.APPLIED, None
    db.session.commit()
    response = app.test_client().post("/account/login", data={"mobile": staff.mobile, "password": factories.PASSWORD})
    assert response.status_code == 200 and provider.name in response.get_data(as_text=True)


# --- The public list ---

def test_public_whitelist_needs_no_login_and_lists_suspended_separately(app, client, db, world, login):
    active = db.session.scalar(db.select(Provider).filter_by(county_id=world.county.id))
    applied = factories.create_provider(world.county, status=ProviderStatus.APPLIED, vetted_until=None)
    expired = factories.create_provider(world.county, vetted_until=date.today() - timedelta(days=1))
    to_suspend = factories.create_provider(world.county, categories=("arts",))
    far = db.session.scalar(db.select(Provider).filter_by(county_id=world.far_school.county.id))
    names = {"星火体育": active, "申请中机构": applied, "过期机构": expired, "暂停机构": to_suspend, "外县机构": far}
    for name, provider in names.items():
        provider.name = name
    db.session.commit()
    login(world.users["county_officer"])
    client.post(f"/providers/{to_suspend.id}/suspend", data={"reason_category": "safety", "reason": "内部细节"})
    client.get("/dashboard")  # shows (and so clears) the flashed confirmation naming the provider
    client.post("/account/logout")

    response = client.get(f"/providers/whitelist/{world.county.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    whitelist, removed = page.split("已暂停或退出的机构")
    assert active.name in whitelist and "体育" in whitelist and "有效期至2027-06-30" in whitelist
    assert to_suspend.name not in whitelist and to_suspend.name in removed
    local_today = datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()  # times show in local time
    assert "安全隐患" in removed and local_today.isoformat() in removed
    assert "内部细节" not in page  # the reason category is public, the officer's note is not
    assert applied.name not in page and expired.name not in page and far.name not in page


def test_public_whitelist_of_unknown_county_is_not_found(client, world):
    assert client.get("/providers/whitelist/999999").status_code == 404
