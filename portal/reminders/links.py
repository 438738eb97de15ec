"""Signed links in reminder mails: "Mark done" and "Snooze 3 days", and the person's
reminder preferences (also the mail's List-Unsubscribe link).

An action token names one item, one action, the owner it was sent to and the item's
version. It is signed with SECRET_KEY (itsdangerous), expires after 14 days, and stops
working once used or once the item changed, because every change bumps the item's version.
A preferences token names one person and works for 90 days: it opens that person's
reminder preferences, and nobody else's, without a login.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from portal.audit.log import Actor, diff, record, snapshot
from portal.vocab import OPEN_STATUSES

SALT = "portal.reminders.action-link"
MAX_AGE = timedelta(days=14)
SNOOZE_DAYS = 3
ACTIONS = {"done": "Mark done", "snooze": f"Snooze {SNOOZE_DAYS} days"}


class LinkError(Exception):
    """The link cannot be used; the message says why, for the page, with an HTTP status,
    and `item` is the item as it stands now when the link was for one that still exists."""

    def __init__(self, message: str, status: int = 400, item=None):
        super().__init__(message)
        self.status = status
        self.item = item


@dataclass(frozen=True)
class LinkClaim:
    item_id: int
    action: str
    person_id: int
    version: int


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


PREFERENCES_SALT = "portal.reminders.preferences-link"
PREFERENCES_MAX_AGE = timedelta(days=90)


def preferences_token(secret_key: str, person_id: int) -> str:
    return URLSafeTimedSerializer(secret_key, salt=PREFERENCES_SALT).dumps({"p": person_id})


def preferences_urls(config, person_id: int) -> tuple[str, str]:
    """(preferences page, one-click unsubscribe) links for a mail to `person_id`."""
    token = preferences_token(config["SECRET_KEY"], person_id)
    base = config["PORTAL_BASE_URL"]
    return f"{base}/mail/preferences/{token}", f"{base}/mail/unsubscribe/{token}"


def read_preferences_token(secret_key: str, token: str, now: datetime) -> int:
    """The person id of a valid preferences token; LinkError otherwise."""
    if not token or len(token) > 500:
        raise LinkError("This link is not valid.")
    try:
        payload, issued = URLSafeTimedSerializer(secret_key, salt=PREFERENCES_SALT).loads(
            token, return_timestamp=True)
        person_id = int(payload["p"])
    except (BadSignature, KeyError, TypeError, ValueError) as error:
        raise LinkError("This link is not valid. It may have been changed or cut short.") \
            from error
    if (now if now.tzinfo else now.replace(tzinfo=UTC)) - issued > PREFERENCES_MAX_AGE:
        raise LinkError("This link has expired. The link in your latest reminder mail works, "
                        "or sign in and open your reminder preferences.", 410)
    return person_id


def make_token(secret_key: str, item, action: str, person_id: int,
               now: datetime | None = None) -> str:
    """A signed token for `action` on `item`, issued at `now`."""
    if action not in ACTIONS:
        raise ValueError(action)
    serializer = _serializer(secret_key)
    payload = {"i": item.id, "a": action, "p": person_id, "v": item.version}
    if now is None:
        return serializer.dumps(payload)
    # itsdangerous stamps with time.time(); sign with the caller's clock instead.
    stamp = int((now if now.tzinfo else now.replace(tzinfo=UTC)).timestamp())
    signer = serializer.make_signer(SALT)
    signer.get_timestamp = lambda: stamp  # type: ignore[method-assign]
    body = serializer.dump_payload(payload)
    return signer.sign(body).decode()


def read_token(secret_key: str, token: str, now: datetime) -> LinkClaim:
    """The claim of a valid token, or LinkError for a tampered, foreign or expired one."""
    if not token or len(token) > 500:
        raise LinkError("This link is not valid.")
    try:
        payload, issued = _serializer(secret_key).loads(token, return_timestamp=True)
    except BadSignature as error:
        raise LinkError("This link is not valid. It may have been changed or cut short.") \
            from error
    aware_now = now if now.tzinfo else now.replace(tzinfo=UTC)
    if aware_now - issued > MAX_AGE:
        raise LinkError("This link has expired: links in reminder mails work for 14 days.", 410)
    try:
        claim = LinkClaim(int(payload["i"]), str(payload["a"]), int(payload["p"]),
                          int(payload["v"]))
    except (KeyError, TypeError, ValueError) as error:
        raise LinkError("This link is not valid.") from error
    if claim.action not in ACTIONS:
        raise LinkError("This link is not valid.")
    return claim


def check_claim(session: Session, claim: LinkClaim):
    """The item the claim may act on, or LinkError when it was used, changed, closed or
    handed to someone else since the mail went out."""
    from portal.actions.models import ActionItem

    item = session.get(ActionItem, claim.item_id)
    if item is None:
        raise LinkError("The action item of this link no longer exists.", 404)
    refuse_deactivated(session, claim.person_id)
    if item.owner_id != claim.person_id:
        raise LinkError("This item has another owner now; the link no longer works.", 409,
                        item)
    if item.version != claim.version:
        raise LinkError("This link was already used, or the item changed since the mail was "
                        "sent. Here is where it stands now.", 409, item)
    if item.status not in OPEN_STATUSES:
        raise LinkError("This item is already closed.", 409, item)
    return item


def refuse_deactivated(session: Session, person_id: int) -> None:
    """LinkError when the person's login was deactivated: their links die with it."""
    from portal.auth.models import deactivated_login

    if session.scalar(sa.select(deactivated_login(person_id))):
        raise LinkError("This link belongs to a login that was deactivated; it no longer "
                        "works.", 403)


def snoozed_due(item, today: date) -> date:
    """Snoozing moves the due date 3 days past the later of the due date and today."""
    return max(item.due_date or today, today) + timedelta(days=SNOOZE_DAYS)


FIELDS = ("status", "done_date", "due_date")


def apply_claim(session: Session, claim: LinkClaim, today: date):
    """Carry out the action (audited as the owner, through the mail); no commit."""
    item = check_claim(session, claim)
    before = snapshot(item, FIELDS)
    if claim.action == "done":
        item.status = "done"
        item.done_date = today
        summary = f"Marked done from a reminder mail: {item.title}"
    else:
        item.due_date = snoozed_due(item, today)
        summary = f"Snoozed {SNOOZE_DAYS} days from a reminder mail: {item.title}"
    session.flush()  # bumps the version: the token is spent
    old, new = diff(before, snapshot(item, FIELDS))
    owner = item.owner
    actor = Actor(person_id=owner.id if owner else None, via="mail",
                  name=owner.name if owner else "owner")
    record(session, actor, "action_item", item.id, "update", summary=summary, before=old,
           after=new, workstream_id=item.workstream_id)
    return item
