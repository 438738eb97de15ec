"""The POC board's cards, written in Python.

The board shows every POC, each as a card: hundreds of them on a large program (418 in
the benchmark's data). As a Jinja macro a card cost about 25 µs of escaping and tests
through Jinja's runtime, more than half of the board's render; written here it costs a
fraction. Every text is escaped, as Jinja's autoescape did; ids and positions, integers,
are not.

The card's markup lives here and nowhere else: `templates/pocs/board.html` writes each
column's cards with a `CardWriter`, and `pocs.card` answers htmx with one card from the
same writer. The move and stage controls of the one open card stay a template
(`pocs/_card_tools.html`).
"""
from __future__ import annotations

from functools import cache

from flask import render_template, url_for
from markupsafe import Markup, escape

from portal.clock import reading_date, short_date
from portal.templating import url_pattern
from portal.vocab import POC_STAGES, label

_e = escape  # every text written into a card goes through it


@cache
def _label(value: str) -> Markup:
    """A stage's or an offer type's label, escaped: a few words of the vocabulary, each
    written on hundreds of cards."""
    return _e(label(value))


def _dates(start, end) -> str:
    """The planned dates: `21 May – 07 Jul 2027`, a year only once when both share it.
    A board's cards share their dates (`CardWriter` keeps each pair's text)."""
    if start and end:
        first = short_date(start) if start.year == end.year else reading_date(start)
        return f"{first} – {reading_date(end)}"
    if start or end:
        return f"{reading_date(start) or '?'} – {reading_date(end) or '?'}"
    return '<span class="muted">Not planned yet</span>'


class CardWriter:
    """Writes the cards of one board as a viewer sees them.

    editor: the viewer may move cards (a drag handle and a "Move…" link on each).
    open_card: the id of the card whose controls are shown. token: the board's order as
    the page holds it; targets: every column with its number of POCs (where a card can
    move); both only matter for the open card."""

    def __init__(self, *, editor: bool, open_card: int | None = None, token: str = "",
                 targets=()):
        self.editor, self.open_card = bool(editor), open_card
        self.token, self.targets = token, targets
        self.detail_url = url_pattern("pocs.detail", "poc_id")
        self.open_url = url_pattern("pocs.board", "card")
        self.board_url = url_for("pocs.board")
        self._dates: dict = {}  # (start, end) -> `_dates`, for this board's cards

    def column(self, pocs, counts: dict[int, int]) -> Markup:
        """A column's cards in sequence, each on a line of its own."""
        size = len(pocs)
        # Safe: each card is Markup written escaped.
        return Markup("".join(  # noqa: S704  # nosec B704
            f"\n{self(poc, size, counts.get(poc.id, 0))}" for poc in pocs))

    def __call__(self, poc, size: int, actions: int) -> Markup:
        """One card; `size` is its column's number of POCs, `actions` its linked items."""
        name, poc_id, is_open = _e(poc.customer.name), f"{poc.id:d}", poc.id == self.open_card
        stage = _e(poc.stage)
        span = (poc.planned_start, poc.planned_end)
        dates = self._dates.get(span)
        if dates is None:
            dates = self._dates[span] = _dates(*span)
        owner = _e(poc.owner.name) if poc.owner else '<span class="muted">No owner</span>'
        linked = f" · {actions:d} action{'' if actions == 1 else 's'}" if actions else ""
        out = [f'<li class="poc-card{" is-open" if is_open else ""}" id="poc-{poc_id}" '
               f'data-stage="{stage}" tabindex="-1">\n'
               f'<span class="poc-pos">{poc.position:d}</span><h3 class="poc-customer">'
               f'<a href="{_e(self.detail_url(poc.id))}">{name}</a></h3>'
               f'<span class="poc-stage stage-{stage}">{_label(poc.stage)}</span>']
        if self.editor:
            out.append('<span class="drag-handle" draggable="true"></span>')
        out.append(f'<p class="poc-facts"><span>{dates}'
                   f"</span><span>{owner}</span><span>{_label(poc.offer_type)}{linked}"
                   "</span></p>")
        if self.editor and is_open:
            out.append(f'<a class="poc-open" href="{_e(self.board_url)}#poc-{poc_id}" '
                       f'aria-label="Close the controls of {name}">Close</a>')
            out.append(render_template("pocs/_card_tools.html", poc=poc, size=size,
                                       scaler=poc.hyperscaler, targets=self.targets,
                                       token=self.token, stages=POC_STAGES))
        elif self.editor:
            out.append(f'<a class="poc-open" href="{_e(self.open_url(poc.id))}#poc-{poc_id}" '
                       f'aria-label="Move {name} or change its stage">Move…</a>')
        out.append("</li>")
        # Safe: every text in it went through `_e`.
        return Markup("".join(out))  # noqa: S704  # nosec B704
