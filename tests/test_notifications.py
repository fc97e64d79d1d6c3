"""Messages that reach people: the inbox, e-mail through a real SMTP server, SMS through a fake gateway over HTTP;
retries and failure when a server is down; quiet hours; the person's choices; the sender's view of delivery."""

from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template

from app.accounts.models import Role
from app.extensions import db
from app.notifications import services
from app.notifications.models import Channel, Delivery, DeliveryStatus, Notification, SmsChoice
from app.notifications.services import notify, send_due
from app.programs.models import Offering
from scheduling import policy
from tests import factories
from tests.sms_gateway import SmsGateway
from tests.smtp_server import SmtpServer, free_port

pytestmark = pytest.mark.both_databases

SHANGHAI = timedelta(hours=8)


def school_time(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A moment, as UTC, at hour:minute school time (Asia/Shanghai) some days from today (in the future, so every
    delivery written now is already due then)."""
    today = (datetime.now(UTC) + SHANGHAI).date() + timedelta(days=day_offset)
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=UTC) - SHANGHAI


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def gateway():
    with SmsGateway() as server:
        yield server


@pytest.fixture
def wired(app, smtp, gateway):
    """The app sends e-mail to the test's SMTP server and SMS to the test's gateway."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, SMS_BACKEND="http",
                      SMS_GATEWAY_URL=gateway.url, SMS_GATEWAY_KEY="test-key", SMS_SIGN_NAME="课后服务")
    app.extensions.pop("sms_backend", None)
    return app


@pytest.fixture
def offering(world, db):
    offering = factories.create_offering(world.own_school)
    factories.create_activity(offering, name="足球", capacity=5, grades=(1,))
    db.session.commit()
    return offering


def apply(client, world, offering: Offering):
    """The guardian applies (the request writes messages to the guardian and to the class teacher)."""
    football = offering.activities[0]
    return client.post(f"/enrolment/apply/{world.own_student.id}/{offering.id}", data={
        "weekdays": ["0", "2"], "choice_1": football.id, "choice_2": "0", "choice_3": "0", "pickup": "collected",
        "pickup_people": "妈妈 李梅", "health_notes": "", "agree": "y"})


def choose(user, **changes):
    values = {"email": None, "email_on": True, "sms": SmsChoice.URGENT, "quiet_hours": True, **changes}
    services.save_preferences(user, **values)
    db.session.commit()


def deliveries(user) -> dict[str, Delivery]:
    rows = db.session.scalars(db.select(Delivery).join(Notification).where(Notification.user_id == user.id)
                              .order_by(Delivery.id)).all()
    return {row.channel.value: row for row in rows}


def test_a_message_reaches_the_inbox_the_mail_server_and_the_phone(wired, client, world, login, offering, smtp,
                                                                   gateway):
    guardian = world.users["guardian"]
    choose(guardian, email="mama@example.com", sms=SmsChoice.ALL, quiet_hours=False)
    login(guardian)
    assert apply(client, world, offering).status_code == 302

    child = world.own_student.name
    [mail] = smtp.to("mama@example.com")
    assert child in mail.subject and offering.title in mail.body
    assert "/enrolment/applications/" in mail.body
    [text] = gateway.to(guardian.mobile)
    assert text.template == "SMS_NOTICE" and text.sign_name == "课后服务" and text.authorization == "Bearer test-key"
    assert child in text.params["subject"]
    assert child in client.get("/messages").get_data(as_text=True)
    sent = deliveries(guardian)
    assert {channel: row.status for channel, row in sent.items()} == {"email": DeliveryStatus.SENT,
                                                                      "sms": DeliveryStatus.SENT}
    assert sent["sms"].provider_message_id == "biz-1" and sent["email"].provider_message_id.startswith("<")
    # The class teacher chose nothing: the inbox only, nothing leaves the site.
    assert deliveries(world.users["class_teacher"]) == {}
    assert gateway.to(world.users["class_teacher"].mobile) == []


def test_servers_down_the_request_succeeds_and_the_message_is_retried_then_marked_failed(
        wired, client, world, login, offering, gateway):
    guardian = world.users["guardian"]
    choose(guardian, email="mama@example.com", sms=SmsChoice.ALL, quiet_hours=False)
    wired.config["MAIL_PORT"] = free_port()  # nothing listens there: the mail server is down
    gateway.fail = "http"
    login(guardian)

    assert apply(client, world, offering).status_code == 302
    assert world.own_student.name in client.get("/messages").get_data(as_text=True)  # in the inbox all the same
    first = deliveries(guardian)
    assert {row.status for row in first.values()} == {DeliveryStatus.QUEUED}
    assert all(row.attempts == 1 and row.last_error for row in first.values())
    assert "mama@example.com" not in first["email"].last_error and guardian.mobile not in first["sms"].last_error

    moment = school_time(1, 12)
    for _ in range(policy.NOTIFY_MAX_ATTEMPTS + 2):
        assert send_due(moment) == 0
        moment += timedelta(hours=2)
    final = deliveries(guardian)
    assert {row.status for row in final.values()} == {DeliveryStatus.FAILED}
    assert {row.attempts for row in final.values()} == {policy.NOTIFY_MAX_ATTEMPTS}
    assert len(gateway.to(guardian.mobile)) == policy.NOTIFY_MAX_ATTEMPTS  # tried again, then no more

    note = final["sms"].notification
    with wired.test_request_context():
        shown = render_template("notifications/_status.html", notification=note)
    assert shown.count("发送失败") == 2 and "短信" in shown


def test_a_failed_try_is_tried_again_after_the_wait_and_then_goes(wired, world, gateway):
    guardian = world.users["guardian"]
    gateway.fail = "refuse"
    note = notify(guardian, "张小明今天没有到课后服务", "请联系班主任", urgent=True)
    db.session.commit()
    now = school_time(1, 16)
    assert send_due(now) == 0
    [delivery] = note.deliveries
    assert delivery.status is DeliveryStatus.QUEUED and "BUSINESS_LIMIT_CONTROL" in delivery.last_error
    gateway.fail = None
    assert send_due(now + timedelta(seconds=30)) == 0  # not before the wait
    assert send_due(now + timedelta(minutes=policy.NOTIFY_RETRY_MINUTES[0])) == 1
    assert delivery.status is DeliveryStatus.SENT and delivery.attempts == 2
    last = gateway.to(guardian.mobile)[-1]
    assert last.template == "SMS_ALERT" and "张小明" in last.params["subject"]
    assert "已送达" in render_status(note)  # what the sender sees


def render_status(note) -> str:
    from flask import current_app

    with current_app.test_request_context():
        return render_template("notifications/_status.html", notification=note)


@pytest.mark.settings(NOTIFY_SENDER="off")
def test_quiet_hours_hold_a_routine_message_until_morning_but_not_an_alert(wired, world, smtp, gateway):
    guardian = world.users["guardian"]
    choose(guardian, email="mama@example.com")  # SMS for alerts only, quiet hours on: the defaults
    routine = notify(guardian, "下周课后服务安排已发布", "请查看")
    alert = notify(guardian, "张小明今天没有到课后服务", "请尽快联系班主任", urgent=True)
    db.session.commit()
    assert [d.channel for d in routine.deliveries] == [Channel.EMAIL]
    assert [d.channel for d in alert.deliveries] == [Channel.EMAIL, Channel.SMS]

    night = school_time(1, 22, 30)
    assert send_due(night) == 2  # the alert, both ways, at once
    assert [m.subject for m in smtp.messages] == ["张小明今天没有到课后服务"]
    assert gateway.to(guardian.mobile)[0].template == "SMS_ALERT"
    [held] = routine.deliveries
    assert held.status is DeliveryStatus.HELD
    assert "早上" in render_status(routine)
    assert send_due(school_time(2, 6, 59)) == 0
    assert send_due(school_time(2, 7, 0)) == 1
    assert smtp.messages[-1].subject == "下周课后服务安排已发布"


@pytest.mark.settings(NOTIFY_SENDER="off")
def test_a_person_without_quiet_hours_gets_routine_messages_at_night(wired, world, smtp):
    guardian = world.users["guardian"]
    choose(guardian, email="mama@example.com", quiet_hours=False)
    notify(guardian, "下周课后服务安排已发布")
    db.session.commit()
    assert send_due(school_time(1, 23)) == 1 and smtp.messages[0].subject == "下周课后服务安排已发布"


@pytest.mark.settings(NOTIFY_SENDER="off")
def test_the_persons_choices_decide_the_channels(app, world):
    guardian, teacher = world.users["guardian"], world.users["class_teacher"]
    # No choices made: routine messages stay in the inbox, alerts also go by SMS to the login number.
    assert notify(guardian, "通知").deliveries == []
    assert [(d.channel, d.address) for d in notify(guardian, "紧急", urgent=True).deliveries] == [
        (Channel.SMS, guardian.mobile)]
    choose(guardian, email="mama@example.com", email_on=False, sms=SmsChoice.ALL)
    assert [d.channel for d in notify(guardian, "通知").deliveries] == [Channel.SMS]
    choose(teacher, email="li@example.com")
    assert [(d.channel, d.address) for d in notify(teacher, "通知").deliveries] == [
        (Channel.EMAIL, "li@example.com")]


def test_the_settings_page_saves_the_choices_and_the_next_message_follows_them(client, world, login, db):
    guardian = world.users["guardian"]
    login(guardian)
    page = client.get("/messages/settings").get_data(as_text=True)
    assert "我的通知设置" in page and "仅紧急消息" in page and guardian.mobile in page
    bad = client.post("/messages/settings", data={"email": "not-an-address", "sms": "all"})
    assert bad.status_code == 200 and "电子邮箱" in bad.get_data(as_text=True)
    assert services.preferences(guardian).email is None
    saved = client.post("/messages/settings", data={"email": "mama@example.com", "email_on": "y", "sms": "all"})
    assert saved.status_code == 302
    choice = services.preferences(guardian)
    assert (choice.email, choice.email_on, choice.sms, choice.quiet_hours) == (
        "mama@example.com", True, SmsChoice.ALL, False)
    note = notify(guardian, "通知")
    assert sorted(d.channel.value for d in note.deliveries) == ["email", "sms"]


def test_the_old_inbox_address_leads_to_the_inbox(client, world, login):
    login(world.users["teacher"])
    response = client.get("/enrolment/inbox")
    assert response.status_code == 302 and response.headers["Location"].endswith("/messages")


@pytest.mark.settings(NOTIFY_SENDER="off")
def test_the_sender_command_sends_what_is_due(wired, world, runner, gateway):
    guardian = world.users["guardian"]
    notify(guardian, "张小明今天没有到课后服务", urgent=True)
    db.session.commit()
    assert gateway.requests == []  # "off": nothing sent by the web process
    result = runner.invoke(args=["notifications", "send"])
    assert "1 message(s) sent." in result.output
    assert len(gateway.to(guardian.mobile)) == 1
    result = runner.invoke(args=["enrolment", "run-due"])
    assert result.exit_code == 0 and len(gateway.requests) == 1  # nothing due twice


def test_wechat_is_ready_but_refuses_until_configured(app, world):
    from app.notifications.channels import ChannelError, channel_for

    note = notify(world.users["guardian"], "通知")
    with pytest.raises(ChannelError, match="not configured"):
        channel_for(Channel.WECHAT).send(Delivery(channel=Channel.WECHAT, address="openid"), note)


def test_in_one_process_mode_a_thread_of_the_web_process_sends(tmp_path):
    """./scripts/run.sh's mode: the first request starts the sender thread; a committed message goes out from it."""
    import time

    from app.messaging import sms
    from tests.conftest import build_app, dispose_engines

    app = build_app(f"sqlite:///{tmp_path / 'sender.sqlite'}", NOTIFY_SENDER="thread", NOTIFY_POLL_SECONDS=0.2)
    with app.app_context():
        db.create_all()
        guardian = factories.create_user(Role.GUARDIAN)
        db.session.commit()
        app.test_client().get("/account/login")
        sender = app.extensions["notification_sender"]
        try:
            note = notify(guardian, "张小明今天没有到课后服务", urgent=True)
            db.session.commit()
            sender.wake()
            for _ in range(100):  # wait for the thread's round (at most ten seconds), not for a time
                db.session.expire_all()
                if note.deliveries[0].status is DeliveryStatus.SENT:
                    break
                time.sleep(0.1)
            assert note.deliveries[0].status is DeliveryStatus.SENT
            assert any(m.mobile == guardian.mobile and "张小明" in m.text for m in sms.outbox())
        finally:
            sender.stop()
            db.session.remove()
            dispose_engines()
        assert not sender.thread.is_alive()


def test_the_e_mail_address_is_in_the_familys_data_and_goes_with_the_account(app, world):
    from app.notifications.models import NotificationPreference
    from app.privacy.deletion import erase_guardian
    from app.privacy.export import my_data

    guardian = world.users["guardian"]
    choose(guardian, email="mama@example.com")
    note = notify(guardian, "紧急", urgent=True)
    db.session.commit()
    with app.test_request_context():
        assert my_data(guardian)["account"]["email"] == "mama@example.com"
    erase_guardian(guardian)
    db.session.commit()
    assert db.session.get(NotificationPreference, guardian.id) is None
    assert db.session.scalar(db.select(db.func.count(Delivery.id)).where(Delivery.notification_id == note.id)) == 0


@pytest.mark.settings(NOTIFY_SENDER="off")
def test_alerts_go_before_a_backlog_of_routine_messages(wired, world, gateway, monkeypatch):
    guardian = world.users["guardian"]
    choose(guardian, sms=SmsChoice.ALL)
    notify(guardian, "下周课后服务安排已发布")
    notify(guardian, "张小明今天没有到课后服务", urgent=True)
    db.session.commit()
    monkeypatch.setattr(services, "BATCH", 1)  # the sender takes one at a time
    assert send_due(school_time(1, 7, 30)) == 1
    assert [r.template for r in gateway.to(guardian.mobile)] == ["SMS_ALERT"]
