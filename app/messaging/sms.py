"""Sending SMS the way Chinese SMS gateways take them: a filed template's id and its parameters.

A backend is any class with `send(self, mobile: str, template_id: str, params: dict) -> str` (the provider's message
id), built once per app with the app's config (`Backend(config)`); it raises SmsError when the provider refuses.
SMS_BACKEND is "outbox" (development and tests: the text goes to the log and to the page /dev/outbox, nothing leaves
the machine), "http" (the gateway at SMS_GATEWAY_URL, HttpBackend below) or "package.module:Class". Production refuses
to start with "outbox" (config.py). The templates' ids are SMS_TEMPLATES (config.py), their texts app/messaging/
templates.py.

`send_template(mobile, kind, params)` sends one kind of message (a one-time code, an account warning, a notice, an
alert: templates.TEXTS); `send_sms(mobile, text)` sends a text the site wrote itself through the free-text "account"
template, which only some providers allow (nothing in the site needs it).
"""

import importlib
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from flask import current_app

from app.messaging import templates
from app.models_base import utcnow

logger = logging.getLogger(__name__)

OUTBOX_SIZE = 50


class SmsError(RuntimeError):
    """The provider did not accept the message."""


class SmsBackend(Protocol):
    def send(self, mobile: str, template_id: str, params: dict) -> str: ...


@dataclass(frozen=True)
class SentSms:
    mobile: str
    text: str
    sent_at: datetime = field(default_factory=utcnow)
    template_id: str = ""
    message_id: str = ""


class OutboxBackend:
    """Development and tests: log the message and keep the last ones for the page /dev/outbox. Sends nothing."""

    def __init__(self, config) -> None:
        self.messages: deque[SentSms] = deque(maxlen=OUTBOX_SIZE)
        self.template_ids = config.get("SMS_TEMPLATES") or {}

    def send(self, mobile: str, template_id: str, params: dict) -> str:
        kind = templates.kind_of(template_id, self.template_ids)
        text = templates.render(kind, params) if kind else f"{template_id} {params}"
        message_id = f"outbox-{secrets.token_hex(6)}"
        self.messages.appendleft(SentSms(mobile, text, template_id=template_id, message_id=message_id))
        logger.warning("SMS to %s (development outbox, not sent): %s", mobile, text)
        return message_id


class HttpBackend:
    """A gateway over HTTP shaped like Aliyun's SendSms: POST JSON {PhoneNumbers, SignName, TemplateCode,
    TemplateParam (a JSON string)} to SMS_GATEWAY_URL with `Authorization: Bearer SMS_GATEWAY_KEY`; the answer is
    JSON {Code: "OK", BizId} when accepted. Any other answer, a non-2xx status or no answer within
    SMS_GATEWAY_TIMEOUT seconds is a failure (SmsError, with the provider's code: never the number or the text)."""

    def __init__(self, config) -> None:
        self.url = config.get("SMS_GATEWAY_URL") or ""
        self.key = config.get("SMS_GATEWAY_KEY") or ""
        self.sign_name = config.get("SMS_SIGN_NAME") or ""
        self.timeout = float(config.get("SMS_GATEWAY_TIMEOUT") or 10)

    def send(self, mobile: str, template_id: str, params: dict) -> str:
        if not self.url:
            raise SmsError("SMS_GATEWAY_URL is not set")
        body = json.dumps({"PhoneNumbers": mobile, "SignName": self.sign_name, "TemplateCode": template_id,
                           "TemplateParam": json.dumps({name: str(value) for name, value in params.items()},
                                                      ensure_ascii=False)}, ensure_ascii=False)
        request = urllib.request.Request(self.url, data=body.encode(), method="POST", headers={
            "Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise SmsError(f"gateway answered HTTP {error.code}") from None
        except (OSError, ValueError) as error:
            raise SmsError(f"gateway unreachable: {type(error).__name__}") from None
        if answer.get("Code") != "OK":
            raise SmsError(f"gateway refused: {str(answer.get('Code'))[:40]}")
        return str(answer.get("BizId") or answer.get("RequestId") or "")


class RefusingBackend:
    """A site that must send no SMS at all (a load test's copy): every send fails loudly."""

    def __init__(self, config) -> None:
        pass

    def send(self, mobile: str, template_id: str, params: dict) -> str:
        raise SmsError("this site is configured to send no SMS (SMS_BACKEND=app.messaging.sms:RefusingBackend)")


def _load(name: str, config) -> SmsBackend:
    if name == "outbox":
        return OutboxBackend(config)
    if name == "http":
        return HttpBackend(config)
    module_name, _, class_name = name.partition(":")
    return getattr(importlib.import_module(module_name), class_name)(config)


def backend() -> SmsBackend:
    """The app's backend, built on first use."""
    extensions = current_app.extensions
    if "sms_backend" not in extensions:
        extensions["sms_backend"] = _load(current_app.config["SMS_BACKEND"], current_app.config)
    return extensions["sms_backend"]


def template_id(kind: str) -> str:
    """The provider's id of the template for a kind of message (SMS_TEMPLATES, else the default)."""
    return (current_app.config.get("SMS_TEMPLATES") or {}).get(kind) or templates.DEFAULT_IDS[kind]


def send_template(mobile: str, kind: str, params: dict) -> str:
    """Send one kind of message (templates.TEXTS) with its parameters; returns the provider's message id."""
    message_id = backend().send(mobile, template_id(kind), params)
    logger.info("SMS (%s) sent to mobile ending %s", kind, mobile[-4:])
    return message_id


def send_sms(mobile: str, text: str) -> str:
    """Send a text the site wrote to a mobile number (the free-text "account" template)."""
    return send_template(mobile, "account", {"content": text})


def outbox() -> list[SentSms] | None:
    """The development outbox's messages, newest first; None when the site sends real SMS."""
    sender = backend()
    return list(sender.messages) if isinstance(sender, OutboxBackend) else None
