"""Template globals and filters shared by every page."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from flask import Flask, current_app, g, has_request_context, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from portal import vocab
from portal.actions import fields
from portal.auth.oidc import password_login_for
from portal.auth.permissions import can, can_change_item, can_comment_on
from portal.clock import reading_date, reading_time, short_date
from portal.program.clock import program_today
from portal.vocab import OPEN_STATUSES, label


def format_date(value: date | datetime | None, fmt: str | None = None) -> str:
    """`27 Nov 2026` (`portal.clock.reading_date`); empty for None. `fmt` is kept only for
    the templates not yet moved to `date_short`; a new template writes no pattern."""
    if value is None:
        return ""
    return value.strftime(fmt) if fmt else reading_date(value)


def stored_date(value) -> str:
    """A date as the audit log keeps it (ISO text), written as the pages write dates;
    anything that is not such a date as it is."""
    try:
        return reading_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return str(value)


def format_datetime(value: datetime | None) -> str:
    """A stored (naive UTC) moment: `30 Nov 2026, 14:05 UTC`; `moment` writes an aware one
    in its own zone."""
    if value is None:
        return ""
    return f"{reading_time(value)} UTC"


def days_text(days: int | None) -> str:
    """A friendly "in 3 days" / "today" / "2 days overdue". Overdue is past the due date;
    "late" is kept for the health rule's items, overdue beyond its grace days."""
    if days is None:
        return ""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "1 day overdue"
    if days < 0:
        return f"{-days} days overdue"
    return f"in {days} days"


def milestone_days(days: int) -> str:
    """A milestone's distance from today: "in 3 days", "today", or "passed" (a milestone is
    not overdue: it happened, or the plan moved on)."""
    return "passed" if days < 0 else days_text(days)


@lru_cache(maxsize=256)
def bare_attr(value: str) -> Markup:
    """An HTML attribute value, in quotes only when it needs them: for markup that repeats
    on every row of a long table (a few labels, so each is worked out once)."""
    text = str(value)
    if text and all(ch.isalnum() or ch in "-_." for ch in text):
        return escape(text)
    return Markup('"%s"') % text


class UrlPattern:
    """An endpoint's URL with one id left open: built once by `url_for`, then filled in per
    card or row, so a page of hundreds of links pays for one build, not hundreds. The
    route stays the one place its URL is defined."""

    _HOLE = 987654321

    def __init__(self, endpoint: str, key: str, **values):
        self.head, self.tail = url_for(endpoint, **{key: self._HOLE}, **values).split(
            str(self._HOLE))

    def __call__(self, value: int) -> str:
        return f"{self.head}{int(value)}{self.tail}"


def url_pattern(endpoint: str, key: str, **values) -> UrlPattern:
    """The request's one `UrlPattern` of `endpoint` with `key` left open."""
    patterns = g.setdefault("url_patterns", {})
    token = (endpoint, key, *values.items())
    pattern = patterns.get(token)
    if pattern is None:
        pattern = patterns[token] = UrlPattern(endpoint, key, **values)
    return pattern


def id_url(endpoint: str, key: str, value: int, **values) -> str:
    """`url_for(endpoint, **{key: value}, **values)` for an integer `value`, from the
    request's one `UrlPattern` of that endpoint: what a row or card calls for its links."""
    return url_pattern(endpoint, key, **values)(value)


# Main navigation: (label, endpoint, permission, other endpoints that belong to the entry).
# An entry shows once its endpoint exists; the current page's entry is marked.
NAV = [
    ("Dashboard", "dashboard.index", "read",
     ("program.setup", "program.edit", "program.update", "program.milestones",
      "program.milestone_add", "program.milestone_update", "program.milestone_delete")),
    ("Summary", "summary.index", "read", ()),
    ("Workstreams", "workstreams.index", "read", ()),
    ("Actions", "actions.index", "read", ()),
    ("POCs", "pocs.board", "read", ()),
    ("People", "people.index", "read", ("reminders.preferences",)),
    ("Import", "notes.new_import", "import_notes", ()),
    ("Outbox", "reminders.outbox", "manage_outbox", ("reminders.settings",)),
    ("Activity", "audit.activity", "read", ()),
    ("Users", "auth.user_list", "manage_users", ("auth.security_log",)),
]


# Where an entry leads when its page opens on a view of its own: the action list on the
# open items (its bare URL lists every item, the done ones first by due date).
NAV_ARGS = {"actions.index": {"status": list(OPEN_STATUSES)}}


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    current: bool

    @property
    def url(self) -> str:
        return url_for(self.endpoint, **NAV_ARGS.get(self.endpoint, {}))


def _belongs(endpoint: str, main: str, others: tuple[str, ...]) -> bool:
    if endpoint in others:
        return True
    claimed = {e for *_, more in NAV for e in more}
    return endpoint not in claimed and endpoint.split(".")[0] == main.split(".")[0]


def nav_items(user) -> list[NavItem]:
    """The navigation this user may follow, with the entry of the current page marked."""
    views = current_app.view_functions
    endpoint = request.endpoint or ""
    return [NavItem(label, main, _belongs(endpoint, main, others))
            for label, main, permission, others in NAV
            if main in views and can(user, permission)]


def rag_badge(rag: str | None, title: str | None = None) -> Markup:
    """A RAG status as a badge. A function rather than a Jinja macro: the dashboard writes a
    hundred of them, and each call of a macro costs 4-5 µs of Jinja's runtime."""
    titled = f' title="{escape(title)}"' if title else ""
    # Safe: every text in it is escaped.
    return Markup(  # noqa: S704  # nosec B704
        f'<span class="rag rag-{escape(rag or "none")}" data-rag="{escape(rag or "")}"{titled}>'
        f'{escape(label(rag or "n/a"))}</span>\n')


def meter(percent: int, rag: str = "green", what: str = "Readiness") -> Markup:
    """A bar `percent` filled in the colour of `rag`, read out as "`what` `percent`%"; a
    function for the same reason as `rag_badge` (a card of the dashboard has one)."""
    fill = (f'<rect class="meter-fill meter-{escape(rag)}" x="0" y="0" '
            f'width="{min(percent, 100)}" height="8" rx="4"></rect>' if percent > 0 else "")
    # Safe: every text in it is escaped.
    return Markup(  # noqa: S704  # nosec B704
        '<svg class="meter" viewBox="0 0 100 8" preserveAspectRatio="none" width="100%" '
        f'height="8" role="img" aria-label="{escape(what)} {escape(percent)}%">\n'
        '  <rect class="meter-track" x="0" y="0" width="100" height="8" rx="4"></rect>\n'
        f"{fill}</svg>\n")


def init_templates(app: Flask) -> None:
    from portal.actions.rows import RowWriter  # they write with the filters above
    from portal.dashboard.cards import workstream_cards
    from portal.pocs.cards import CardWriter

    app.jinja_env.filters.update(date=format_date, date_short=short_date, stored_date=stored_date,
                                 datetime=format_datetime, moment=reading_time, days=days_text,
                                 milestone_days=milestone_days,
                                 label=label, bare_attr=bare_attr)
    app.jinja_env.globals.update(nav_items=nav_items, can=can, can_change_item=can_change_item,
                                 can_comment_on=can_comment_on, vocab=vocab,
                                 item_fields=fields.item_fields, item_columns=fields.columns,
                                 row_writer=RowWriter, card_writer=CardWriter, id_url=id_url,
                                 rag_badge=rag_badge, meter=meter,
                                 workstream_cards=workstream_cards,
                                 password_login_for=lambda user: password_login_for(app.config,
                                                                                    user))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        # The signed-in user itself, not Flask-Login's proxy: a long table asks it for its
        # role on every row, and each question through the proxy costs a context lookup.
        user = current_user._get_current_object() if has_request_context() else current_user
        return {"current_user": user, "today": program_today()}
