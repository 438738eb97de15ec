"""A real SMTP server on loopback (aiosmtpd) for the reminder tests, and the mailer's own
tests against it. Other reminder test modules import `smtp_server` and `free_port`."""
from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from portal.reminders.mailer import Mailer, MailError, build_message


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.handler = Collector()
        self.controller: Controller | None = None

    @property
    def messages(self):
        return self.handler.messages

    def start(self):
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def config(self) -> dict:
        return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port}


def running_smtp_server():
    """Generator behind the `smtp_server` fixture; other modules wrap it with
    `pytest.fixture(running_smtp_server, name="smtp_server")`."""
    server = SmtpServer().start()
    yield server
    server.stop()


smtp_fixture = pytest.fixture(running_smtp_server, name="smtp_server")


CONFIG = {"MAIL_DEFAULT_SENDER": "Portal <portal@example.com>", "MAIL_USE_TLS": False}


def _message(to="owner@example.com"):
    return build_message(CONFIG, recipient=to, subject="Hello\r\nBcc: evil@example.com",
                         text="plain", html="<p>html</p>", unsubscribe_url="http://p/prefs")


def test_mailer_sends_over_one_connection(smtp_server):
    with Mailer({**CONFIG, **smtp_server.config()}) as mailer:
        mailer.send(_message("a@example.com"))
        mailer.send(_message("b@example.com"))
        assert mailer._smtp is not None
    smtp_server.wait_for(2)
    assert [m["To"] for m in smtp_server.messages] == ["a@example.com", "b@example.com"]
    received = smtp_server.messages[0]
    assert received["List-Unsubscribe"] == "<http://p/prefs>"
    assert received["Subject"] == "Hello Bcc: evil@example.com"  # no injected header
    assert received["Bcc"] is None
    assert received.get_body(("plain",)).get_content().strip() == "plain"
    assert "<p>html</p>" in received.get_body(("html",)).get_content()


def test_mailer_reports_a_server_that_is_down():
    with Mailer({**CONFIG, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port()}) as mailer:
        with pytest.raises(MailError, match="cannot connect"):
            mailer.send(_message())
        with pytest.raises(MailError):  # fails fast for the rest of the run
            mailer.send(_message())


def test_without_mail_server_the_mailer_only_logs(caplog):
    caplog.set_level("INFO", logger="portal.reminders.mail")
    mailer = Mailer({**CONFIG, "MAIL_SERVER": None})
    assert mailer.logging_only
    mailer.send(_message())
    assert "owner@example.com" in caplog.text and "plain" in caplog.text
