"""The POC board's card as a browser receives it, pinned: `portal.pocs.cards` writes it in
Python, so no template test notices a changed tag or attribute. A change here is a change
to what static/js/pocs.js, the board's CSS and the board tests read."""
from __future__ import annotations

import re
from datetime import date

import pytest

from portal.extensions import db
from tests.factories import make_person, signed_in
from tests.unit.test_pocs_helpers import make_customer, make_poc, make_scalers
from tests.web.test_escaping import PAYLOAD

HX = {"HX-Request": "true"}


@pytest.fixture
def board(session):
    gcp, azure = make_scalers("GCP", "Azure")
    first = make_poc(gcp, make_customer("Initech & Co"), stage="scheduled",
                     offer_type="public", owner=make_person("Ana O'Neil"),
                     planned_start=date(2027, 5, 21), planned_end=date(2027, 7, 7))
    second = make_poc(gcp, make_customer("Zoom"), planned_start=date(2026, 12, 20),
                      planned_end=date(2027, 1, 10))
    session.commit()
    return gcp, azure, first, second


def _cards(html: str) -> list[str]:
    return re.findall(r'<li class="poc-card.*?</li>', html, re.S)


def test_a_leads_cards_carry_a_handle_and_a_move_link(app, board):
    gcp, azure, first, second = board
    html = signed_in(app, "lead").get("/pocs").get_data(as_text=True)
    f, s = first.id, second.id
    assert _cards(html) == [
        f'<li class="poc-card" id="poc-{f}" data-stage="scheduled" tabindex="-1">\n'
        f'<span class="poc-pos">1</span><h3 class="poc-customer"><a href="/pocs/{f}">'
        'Initech &amp; Co</a></h3><span class="poc-stage stage-scheduled">Scheduled</span>'
        '<span class="drag-handle" draggable="true"></span><p class="poc-facts">'
        "<span>21 May – 07 Jul 2027</span><span>Ana O&#39;Neil</span><span>Public</span></p>"
        f'<a class="poc-open" href="/pocs?card={f}#poc-{f}" aria-label="Move Initech &amp; Co'
        ' or change its stage">Move…</a></li>',
        f'<li class="poc-card" id="poc-{s}" data-stage="candidate" tabindex="-1">\n'
        f'<span class="poc-pos">2</span><h3 class="poc-customer"><a href="/pocs/{s}">'
        'Zoom</a></h3><span class="poc-stage stage-candidate">Candidate</span>'
        '<span class="drag-handle" draggable="true"></span><p class="poc-facts">'
        '<span>20 Dec 2026 – 10 Jan 2027</span><span><span class="muted">No owner</span>'
        "</span><span>Private</span></p>"
        f'<a class="poc-open" href="/pocs?card={s}#poc-{s}" aria-label="Move Zoom or change'
        ' its stage">Move…</a></li>']


def test_an_executives_cards_only_read(app, board):
    html = signed_in(app, "executive").get("/pocs").get_data(as_text=True)
    cards = _cards(html)
    assert len(cards) == 2
    assert not any("drag-handle" in card or "poc-open" in card for card in cards)
    assert cards[1].endswith('<span>Private</span></p></li>')


def test_the_open_card_carries_its_controls(app, board):
    gcp, azure, first, second = board
    client = signed_in(app, "lead")
    html = client.get(f"/pocs?card={second.id}").get_data(as_text=True)
    closed, opened = _cards(html)
    assert "poc-tools" not in closed
    assert opened.startswith(f'<li class="poc-card is-open" id="poc-{second.id}"')
    assert (f'<a class="poc-open" href="/pocs#poc-{second.id}" aria-label="Close the controls'
            ' of Zoom">Close</a><form class="poc-tools"') in opened
    up, down = f"poc-{second.id}-up", f"poc-{second.id}-down"
    assert f'value="{gcp.id}:1" class="btn btn-small btn-ghost icon-btn" id="{up}"' in opened
    assert f'id="{down}" aria-label="Move Zoom down" title="Move down" disabled>' in opened
    assert f'value="{azure.id}:1"' in opened and "&rarr; Azure" in opened
    assert '<option value="candidate" selected>Candidate</option>' in opened
    # The card on its own, as the board's "Move…" fetches it, is the same card.
    token = re.search(r'data-board-order="([^"]*)"', html).group(1)
    alone = client.get(f"/pocs/{second.id}/card?open=1&expected={token}", headers=HX)
    assert alone.status_code == 200 and "HX-Request" in alone.headers["Vary"]
    assert re.sub(r'name="csrf_token" value="[^"]*"', "", alone.get_data(as_text=True)) == \
        re.sub(r'name="csrf_token" value="[^"]*"', "", opened)
    shut = client.get(f"/pocs/{second.id}/card?open=0&expected={token}", headers=HX)
    assert shut.get_data(as_text=True) == _cards(client.get("/pocs").get_data(as_text=True))[1]


def test_a_card_escapes_what_people_typed_open_or_closed(app, session):
    (scaler,) = make_scalers(PAYLOAD[:50])
    poc = make_poc(scaler, make_customer(PAYLOAD[:120]), owner=make_person(PAYLOAD[:120]))
    session.commit()
    client = signed_in(app, "lead")
    for path in ("/pocs", f"/pocs?card={poc.id}"):
        html = client.get(path).get_data(as_text=True)
        (card,) = _cards(html)
        assert "<script>alert" not in card and "<img src=x" not in card, path
        assert card.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") >= 2, path
    assert "is-open" in card and "poc-tools" in card
    assert db.session.get(type(poc), poc.id).customer.name == PAYLOAD[:120]
