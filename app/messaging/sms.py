"""Sending SMS: `send_sms(mobile, text)` hands the text to the backend that SMS_BACKEND names.

A backend is any class with `send(self, mobile: str, text: str) -> None`, built once per app with the app's config
(`Backend(config)`); it raises SmsError when the provider refuses. SMS_BACKEND is "outbox" (development and tests:
the text goes to the log and to the page /dev/outbox, nothing leaves the machine) or "package.module:Class".
Production refuses to start with "outbox" (config.py). A backend for an HTTP SMS provider (Aliyun, Tencent Cloud)
is not part of the site yet: write one against this interface and name it in SMS_BACKEND.
"""

import importlib
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from flask import current_app

from app.models_base import utcnow

logger = logging.getLogger(__name__)

OUTBOX_SIZE = 50


class SmsError(RuntimeError):
    """The provider did not accept the message."""


class SmsBackend(Protocol):
    def send(self, mobile: str, text: str) -> None: ...


@dataclass(frozen=True)
class SentSms:
    mobile: str
    text: str
    sent_at: datetime = field(default_factory=utcnow)


class OutboxBackend:
    """Development and tests: log the message and keep the last ones for the page /dev/outbox. Sends nothing."""

    def __init__(self, config) -> None:
        self.messages: deque[SentSms] = deque(maxlen=OUTBOX_SIZE)

    def send(self, mobile: str, text: str) -> None:
        self.messages.appendleft(SentSms(mobile, text))
        logger.warning("SMS to %s (development outbox, not sent): %s", mobile, text)


class RefusingBackend:
    """A site that must send no SMS at all (a load test's copy): every send fails loudly."""

    def __init__(self, config) -> None:
        pass

    def send(self, mobile: str, text: str) -> None:
        raise SmsError("this site is configured to send no SMS (SMS_BACKEND=app.messaging.sms:RefusingBackend)")


def _load(name: str, config) -> SmsBackend:
    if name == "outbox":
        return OutboxBackend(config)
    module_name, _, class_name = name.partition(":")
    return getattr(importlib.import_module(module_name), class_name)(config)


def backend() -> SmsBackend:
    """The app's backend, built on first use."""
    extensions = current_app.extensions
    if "sms_backend" not in extensions:
        extensions["sms_backend"] = _load(current_app.config["SMS_BACKEND"], current_app.config)
    return extensions["sms_backend"]


def send_sms(mobile: str, text: str) -> None:
    """Send a text message to a mobile number (through SMS_BACKEND)."""
    backend().send(mobile, text)
    logger.info("SMS sent to mobile ending %s", mobile[-4:])


def outbox() -> list[SentSms] | None:
    """The development outbox's messages, newest first; None when the site sends real SMS."""
    sender = backend()
    return list(sender.messages) if isinstance(sender, OutboxBackend) else None
