"""The ways a message leaves the site, behind one interface: `Channel.send(delivery, notification) -> provider id`.

A channel raises ChannelError when the message did not go (the server is down, refused it, or the channel is not
set up); the error's text is kept on the delivery, so it names the server's answer and never the person or the text.
"""

import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from flask import current_app

from app.messaging import sms, templates
from app.notifications.models import Channel, Delivery, Notification


class ChannelError(RuntimeError):
    """The message did not go; the next try is scheduled (or the delivery is marked failed after the last)."""


class EmailChannel:
    """E-mail over SMTP (the standard library): MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL,
    MAIL_USERNAME, MAIL_PASSWORD, MAIL_DEFAULT_SENDER, MAIL_TIMEOUT. Subject and body in the reader's words
    (Chinese for most), sent as UTF-8."""

    def send(self, delivery: Delivery, notification: Notification) -> str:
        config = current_app.config
        server = config.get("MAIL_SERVER")
        if not server:
            raise ChannelError("no mail server configured (MAIL_SERVER)")
        message = EmailMessage()
        message["Subject"] = notification.subject
        message["From"] = formataddr((config.get("MAIL_SENDER_NAME") or "", config.get("MAIL_DEFAULT_SENDER")))
        message["To"] = delivery.address
        message["Message-ID"] = message_id = make_msgid(domain=config.get("MAIL_MESSAGE_DOMAIN") or None)
        message.set_content(email_text(notification))
        port = int(config.get("MAIL_PORT") or 25)
        timeout = float(config.get("MAIL_TIMEOUT") or 10)
        connect = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
        try:
            with connect(server, port, timeout=timeout) as smtp:
                if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                    smtp.starttls()
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            raise ChannelError(f"mail server answered {error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise ChannelError(f"mail server unreachable: {type(error).__name__}") from None
        return message_id


def email_text(notification: Notification) -> str:
    """The e-mail's body: the message, and the page it is about."""
    lines = [notification.body] if notification.body else []
    if notification.link:
        base = (current_app.config.get("SITE_URL") or "").rstrip("/")
        lines.append(base + notification.link if notification.link.startswith("/") else notification.link)
    return "\n\n".join(lines) or notification.subject


class SmsChannel:
    """SMS through the site's SMS gateway (app/messaging/sms.py): an alert or a notice template with the subject."""

    def send(self, delivery: Delivery, notification: Notification) -> str:
        if notification.urgent:
            kind, params = "alert", {"subject": templates.shorten(notification.subject),
                                     "detail": _sentence(templates.shorten(notification.body))}
        else:
            kind, params = "notice", {"subject": templates.shorten(notification.subject)}
        try:
            return sms.send_template(delivery.address, kind, params)
        except sms.SmsError as error:
            raise ChannelError(str(error)[:200]) from None


def _sentence(text: str) -> str:
    return text + "。" if text and not text.endswith(("。", "！", "？", ".", "…")) else text


class WeChatChannel:
    """WeChat subscription messages (订阅消息), not connected yet. Sending one needs: the app's AppID and AppSecret
    (for the access_token), the person's openid for this app (from a WeChat login or binding, which the site does
    not have), the person's consent for this template (given in the mini program, once per message), the template id
    filed on the WeChat platform and its fields (thing1 = subject, time2 = when, thing3 = what to do, each at most
    20 characters), and the mini program page to open. Until then every send is refused."""

    def send(self, delivery: Delivery, notification: Notification) -> str:
        raise ChannelError("WeChat subscription messages are not configured")


CHANNELS = {Channel.EMAIL: EmailChannel(), Channel.SMS: SmsChannel(), Channel.WECHAT: WeChatChannel()}


def channel_for(channel: Channel):
    """The channel that sends a delivery of this kind."""
    return CHANNELS[channel]
