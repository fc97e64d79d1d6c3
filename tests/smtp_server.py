"""A real SMTP server for tests (aiosmtpd, in a thread): it receives what the site sends and keeps the messages."""

import email
import email.policy
import socket
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    to: list[str]
    subject: str
    body: str


@dataclass
class _Handler:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(Received(list(envelope.rcpt_tos), str(message["Subject"]),
                                      message.get_body(("plain",)).get_content()))
        return "250 OK"


class SmtpServer:
    """`with SmtpServer() as smtp:` listens on 127.0.0.1:smtp.port; smtp.messages holds what arrived."""

    def __init__(self) -> None:
        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.to]

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
