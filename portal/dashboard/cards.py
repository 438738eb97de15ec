"""The dashboard's workstream cards, written in Python.

The dashboard shows a card per workstream: fifty in the benchmark's data. As Jinja the
cards cost 1.7 ms of the page's 5 ms render, most of it Jinja's runtime around some thirty
values a card; written here they cost a fraction. Every text is escaped, as Jinja's
autoescape did; ids and counts, integers, are not.

The cards' markup lives here and nowhere else: the dashboard's `ws_cards` block, on the
page and out of band after a change, writes them with `workstream_cards`.
"""
from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

from portal.clock import short_date
from portal.templating import days_text, meter, rag_badge, url_pattern

_e = escape  # every text written into a card goes through it
_GATING = '<span class="tag tag-gating">gating</span>'


def workstream_cards(board, today: date) -> Markup:
    """The cards of `board` (a `Dashboard`), in its workstreams' order, as seen on `today`."""
    workstream_url = url_pattern("workstreams.detail", "workstream_id")
    item_url = url_pattern("actions.detail", "item_id")
    out = []
    for fig in board.figures:
        ws_id, percent = f"{fig.workstream_id:d}", f"{fig.percent:d}"
        rag, health = _e(fig.rag), _e(fig.health)
        out.append(
            f'<article class="card ws-card ws-card-{_e(fig.effective_rag)}'
            f'{" is-flagged" if fig.disagrees else ""}" data-workstream-id="{ws_id}" '
            f'data-rag="{rag}" data-health="{health}">\n<header>\n'
            f'<h3><a href="{_e(workstream_url(fig.workstream_id))}">{_e(fig.name)}</a></h3>\n'
            f'{_GATING if fig.gating else ""}\n</header>\n'
            f'<dl class="ws-card-status">\n'
            f'<div><dt>Reported</dt><dd>{rag_badge(fig.rag, "Owner-reported status")}</dd></div>\n'
            f'<div><dt>Computed</dt><dd>{rag_badge(fig.health, "Computed from late items")}'
            f"</dd></div>\n</dl>\n"
            f'<div class="ws-card-readiness">\n<span class="pct" data-percent="{percent}">'
            f'{percent}%</span><span class="muted small">ready</span>\n'
            f"{meter(fig.percent, fig.effective_rag)}\n</div>\n"
            f'<dl class="ws-counts">\n<div><dt>Open</dt><dd>{fig.items_open:d}</dd></div>\n'
            f'<div class="{"is-late" if fig.items_overdue else ""}"><dt>Overdue</dt>'
            f"<dd>{fig.items_overdue:d}</dd></div>\n"
            f'<div class="{"is-soon" if fig.items_due_soon else ""}"><dt>Due 7d</dt>'
            f"<dd>{fig.items_due_soon:d}</dd></div>\n</dl>\n"
            f'<p class="small ws-card-line"><span class="muted">Lead</span> '
            f"<strong>{_e(board.leads.get(fig.workstream_id, 'not set'))}</strong></p>\n"
            f'<p class="small ws-card-line ws-next">\n<span class="muted">Next due</span>\n'
            f"{_next_due(board.next_due.get(fig.workstream_id), today, item_url)}\n</p>\n")
        if fig.disagrees:
            out.append(f'<p class="ws-flag-inline small" data-flag="disagrees">Reported {rag} '
                       f"but {fig.items_late:d} late</p>\n")
        out.append("</article>\n")
    # Safe: every text in it went through `_e`.
    return Markup("".join(out))  # noqa: S704  # nosec B704


def _next_due(item, today: date, item_url) -> str:
    """A card's open item due soonest: its title, date and owner."""
    if item is None:
        return '<span class="muted">no open item with a date</span>'
    delta = (item.due_date - today).days
    when = "is-late" if delta < 0 else ("is-soon" if delta <= 7 else "")
    owner = (f" · {_e(item.owner.name)}" if item.owner
             else ' · <span class="is-late">no owner</span>')
    return (f'<a href="{_e(item_url(item.id))}" class="ws-next-title">{_e(item.title)}</a>\n'
            f'<span class="ws-next-meta"><span class="{when}">'
            f"{_e(short_date(item.due_date))}, {_e(days_text(delta))}</span>{owner}</span>")
