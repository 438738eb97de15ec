"""Mail out through SMTP (the MAIL_* settings), one connection per run; or, without
MAIL_SERVER, into the log (the outbox keeps the message as `logged`)."""
from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

log = logging.getLogger("portal.reminders.mail")

SMTP_TIMEOUT = 20


class MailError(Exception):
    """The message could not be handed to the SMTP server."""


def build_message(config, *, recipient: str, subject: str, text: str, html: str | None,
                  unsubscribe_url: str | None = None) -> EmailMessage:
    """A multipart/alternative mail with plain text and HTML parts."""
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = recipient
    # Header values never carry line breaks (no header injection from titles).
    message["Subject"] = " ".join(subject.split())
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="readiness-portal")
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:  # RFC 8058: mail clients unsubscribe with one POST, no sign-in
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


class Mailer:
    """Sends messages over one SMTP connection, opened at the first send and closed at
    the end of the run. `logging` mode (no MAIL_SERVER) writes them to the log."""

    def __init__(self, config):
        self.config = config
        self.server = config.get("MAIL_SERVER")
        self._smtp: smtplib.SMTP | None = None
        self._broken: str | None = None

    @property
    def logging_only(self) -> bool:
        return not self.server

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        if self._broken:
            raise MailError(self._broken)
        if self._smtp is None:
            try:
                smtp = smtplib.SMTP(self.server, int(self.config.get("MAIL_PORT") or 25),
                                    timeout=SMTP_TIMEOUT)
                if self.config.get("MAIL_USE_TLS"):
                    smtp.starttls(context=ssl.create_default_context())
                if self.config.get("MAIL_USERNAME"):
                    smtp.login(self.config["MAIL_USERNAME"], self.config.get("MAIL_PASSWORD") or "")
            except (OSError, smtplib.SMTPException) as error:
                # Down for this run: every further message fails fast and is retried later.
                self._broken = f"cannot connect to {self.server}: {error}"
                raise MailError(self._broken) from error
            self._smtp = smtp
        return self._smtp

    def send(self, message: EmailMessage) -> None:
        """Hands `message` over, or raises MailError."""
        if self.logging_only:
            log.info("mail (no MAIL_SERVER, logged) to %s: %s\n%s", message["To"],
                     message["Subject"], message.get_body(("plain",)).get_content())
            return
        smtp = self._connect()
        try:
            refused = smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            self._smtp = None
            self._broken = f"connection lost: {error}"
            raise MailError(self._broken) from error
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"{type(error).__name__}: {error}") from error
        if refused:
            raise MailError(f"refused: {refused}")

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None
