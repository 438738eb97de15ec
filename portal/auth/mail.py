"""The mails that carry a password link (an invitation, a reset), through the outbox like
every mail: queued in the caller's transaction, held by the caller until it has committed
and sent them (`send_now`), and retried by the scheduler when that attempt fails."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit.log import Actor, record
from portal.auth import tokens
from portal.auth.models import User
from portal.auth.users import find_by_email
from portal.clock import utcnow
from portal.extensions import db
from portal.program.models import Program
from portal.reminders import outbox
from portal.reminders.models import OutboxMessage

LOCKOUT_SUBJECT = "Sign-ins to your Readiness Portal login were paused"
# A URL path (the route is auth.choose_password); the token follows it.
PASSWORD_PATH = "/password/"  # noqa: S105  # nosec B105
SUBJECTS = {"invite": "You are invited to the Readiness Portal",
            "reset": "Reset your Readiness Portal password"}


def password_url(config, user: User, purpose: str) -> str:
    token = tokens.make_token(config["SECRET_KEY"], user, purpose)
    return f"{config['PORTAL_BASE_URL']}{PASSWORD_PATH}{token}"


def queue_password_mail(session: Session, config, user: User, purpose: str, now: datetime,
                        inviter: str = "A program lead") -> tuple[OutboxMessage, str]:
    """Queues the invitation or reset mail of `user` (no commit); returns it and its link."""
    url = password_url(config, user, purpose)
    subject = SUBJECTS[purpose]
    program = session.scalar(select(Program.name).order_by(Program.id).limit(1))
    context = {"subject": subject, "user": user, "purpose": purpose, "url": url,
               "inviter": inviter, "program": program, "base_url": config["PORTAL_BASE_URL"]}
    message = outbox.queue_mail(
        session, kind=purpose, key=f"{purpose}:{user.id}:{now.isoformat()}",
        recipient=user.email, person_id=user.person_id, subject=subject,
        text=render_template("emails/account.txt", **context),
        html=render_template("emails/account.html", **context), now=now)
    return message, url


def request_reset(session: Session, config, email: str, address: str | None,
                  now: datetime) -> OutboxMessage | None:
    """Queues a reset mail when `email` belongs to an active login (no commit). The caller
    answers the same whatever the outcome, so the page never tells who has a login."""
    user = find_by_email(session, email or "")
    if user is None or not user.active:
        return None
    message, _url = queue_password_mail(session, config, user, "reset", now)
    record(session, Actor(via="web", name="anonymous"), "user", user.id, "reset_requested",
           summary=f"Password reset mail requested for {user.email} from {address}")
    return message


def queue_lockout_notice(session: Session, config, user: User, address: str | None,
                         now: datetime) -> OutboxMessage | None:
    """Tells the login's owner that failed sign-ins paused their login (no commit); once an
    hour at most, however many attempts follow. The outbox job sends it within a minute."""
    key = f"lockout:{user.id}:{now:%Y-%m-%dT%H}"
    if session.scalar(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
        return None
    context = {"subject": LOCKOUT_SUBJECT, "user": user, "purpose": "lockout",
               "address": address or "an unknown address", "base_url": config["PORTAL_BASE_URL"],
               "url": f"{config['PORTAL_BASE_URL']}/password/forgot"}
    return outbox.queue_mail(
        session, kind="lockout", key=key, recipient=user.email, person_id=user.person_id,
        subject=LOCKOUT_SUBJECT, text=render_template("emails/account.txt", **context),
        html=render_template("emails/account.html", **context), now=now, hold=False)


def invitation_outcome(user: User, message_id: int) -> str:
    """Sends a committed invitation at once; says what became of it."""
    result = outbox.send_now(db.session, current_app.config, [message_id], utcnow())
    if result.sent:
        return f"Invitation sent to {user.email}."
    if result.logged:
        return (f"Invitation for {user.email} kept in the outbox: no mail server is "
                "configured (MAIL_SERVER).")
    return (f"The invitation for {user.email} could not be sent yet; the outbox retries it "
            "and shows the error.")
