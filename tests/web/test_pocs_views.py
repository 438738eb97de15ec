"""The POC pages through the test client: board, moves, stage changes, edits, customers,
timeline; with and without HX-Request; permissions; bad input; query counts."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.pocs.models import Customer, Hyperscaler, Poc
from tests.factories import make_person, make_program, signed_in
from tests.unit.test_pocs_helpers import (
    assert_gapless,
    columns,
    make_customer,
    make_poc,
    make_scalers,
)

HX = {"HX-Request": "true"}


def login(app, role):
    return signed_in(app, role)


@pytest.fixture
def lead(app):
    return login(app, "lead")


@pytest.fixture
def setup(session):
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    pocs = {name: make_poc(azure, make_customer(name)) for name in ("Microsoft", "UKMET")}
    pocs["Zoom"] = make_poc(aws, make_customer("Zoom"))
    session.commit()
    return {"GCP": gcp, "Azure": azure, "AWS": aws}, pocs


def board_token(client) -> str:
    html = client.get("/pocs").get_data(as_text=True)
    return html.split('data-board-order="', 1)[1].split('"', 1)[0]


# --- board -----------------------------------------------------------------------------

def test_board_page_and_fragment(lead, setup):
    page = lead.get("/pocs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="pocs-board"' in html
    assert 'href="/pocs?add=1#add-poc">Add a POC</a>' in html
    assert html.index(">GCP<") < html.index(">Azure<") < html.index(">AWS<")
    assert html.index("Microsoft") < html.index("UKMET")
    assert "js/pocs.js" in html and "sortable" not in html.lower()
    # Closed cards: a link to open their controls, no form; the board has no card form.
    assert html.count('class="poc-open"') == 3 and 'class="poc-tools"' not in html
    fragment = lead.get("/pocs", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="pocs-board"')
    assert "HX-Request" in fragment.headers["Vary"]


def test_readers_see_the_board_without_controls(app, setup):
    client = login(app, "executive")
    html = client.get("/pocs").get_data(as_text=True)
    assert "Microsoft" in html and "Sequencing checks" in html
    assert "poc-open" not in html and "poc-tools" not in html and "drag-handle" not in html
    assert "pocs.js" not in html and "Add a POC" not in html
    assert 'method="post"' not in html.split('id="main"', 1)[1]


def test_board_shows_the_sequencing_warnings(lead, session, setup):
    scalers, pocs = setup
    pocs["Zoom"].stage = "scheduled"
    session.commit()
    html = lead.get("/pocs").get_data(as_text=True)
    assert 'data-kind="scheduled_incomplete"' in html
    assert "Zoom on AWS is scheduled but has no start date, end date or owner." in html


@pytest.mark.parametrize("count", [3, 60])
def test_board_query_count_does_not_grow(app, session, lead, query_counter, count):
    _scale_board(count)
    with query_counter() as statements:
        assert lead.get("/pocs").status_code == 200
    # login user + board (3): the same for 3 and 60 POCs.
    assert len(statements) <= 6, statements
    poc_id = db.session.scalar(select(Poc.id).limit(1))
    token = board_token(lead)
    with query_counter() as statements:
        response = lead.get(f"/pocs/{poc_id}/card?expected={token}", headers=HX)
    assert response.status_code == 200 and 'class="poc-tools"' in response.get_data(True)
    # login user + current token (2) + card (4) + the program's time zone for its dates.
    assert len(statements) <= 9, "\n".join(statements)


def test_board_query_count_is_the_same_for_few_and_many(app, session, query_counter):
    counts = []
    client = login(app, "lead")
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    for total in (2, 200):
        while db.session.scalar(select(db.func.count()).select_from(Poc)) < total:
            make_poc((gcp, azure, aws)[len(counts) % 3], make_customer(), owner=make_person())
        session.commit()
        with query_counter() as statements:
            client.get("/pocs")
            client.get("/pocs/timeline")
        counts.append(len(statements))
    assert counts[0] == counts[1]


def _scale_board(count: int):
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    owner = make_person("Owner")
    for n in range(count):
        make_poc((gcp, azure, aws)[n % 3], make_customer(), owner=owner, stage="running",
                 planned_start=date(2026, 1, 1), planned_end=date(2026, 1, 2))
    db.session.commit()


def test_board_grows_linearly_and_lightly_with_the_pocs(app, session, lead):
    """Each card costs a few hundred bytes, whatever the board's size (no board-wide order
    in every card, no form in a closed card): 400 POCs stay far below 300 KB."""
    _scale_board(10)
    small = len(lead.get("/pocs", headers=HX).data)
    scalers = session.scalars(select(Hyperscaler)).all()
    for n in range(390):
        make_poc(scalers[n % 3], make_customer(), stage="candidate",
                 planned_start=date(2026, 2, 1), planned_end=date(2026, 3, 1))
    session.commit()
    large = lead.get("/pocs", headers=HX).data
    per_card = (len(large) - small) / 390
    assert per_card < 600, per_card
    assert len(large) < 250_000, len(large)
    assert large.count(b'name="csrf_token"') == 3  # the three rank forms only


# --- a card's controls -------------------------------------------------------------------

def test_open_card_without_javascript(lead, setup):
    _scalers, pocs = setup
    ukmet = pocs["UKMET"].id
    html = lead.get(f"/pocs?card={ukmet}").get_data(as_text=True)
    assert html.count('class="poc-tools"') == 1
    tools = html.split(f'id="poc-{ukmet}"', 1)[1].split("</li>", 1)[0]
    assert f'action="/pocs/{ukmet}/move"' in tools and 'name="csrf_token"' in tools
    assert f'formaction="/pocs/{ukmet}/stage"' in tools
    assert 'aria-label="Move UKMET up"' in tools and 'aria-label="Move UKMET down"' in tools
    assert 'aria-label="Move UKMET to the end of GCP"' in tools
    assert f'<label for="stage-{ukmet}">Stage' in tools and f'id="stage-{ukmet}"' in tools
    assert f'href="/pocs#poc-{ukmet}" aria-label="Close the controls of UKMET"' in tools
    assert f'name="expected" value="{board_token(lead)}"' in tools
    # Without htmx the card's URL is the board with the card open.
    page = lead.get(f"/pocs/{ukmet}/card").get_data(as_text=True)
    assert "<html" in page and page.count('class="poc-tools"') == 1


def test_open_and_close_a_card_with_htmx(lead, setup):
    _scalers, pocs = setup
    token = board_token(lead)
    response = lead.get(f"/pocs/{pocs['Zoom'].id}/card?open=1&expected={token}", headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith(f'<li class="poc-card is-open" id="poc-{pocs["Zoom"].id}"')
    assert body.count("<li") == 1 and 'class="poc-tools"' in body
    assert "Move Zoom up" in body and f'value="{token}"' in body
    closed = lead.get(f"/pocs/{pocs['Zoom'].id}/card?open=0&expected={token}", headers=HX)
    body = closed.get_data(as_text=True)
    assert 'class="poc-tools"' not in body and ">Move…</a>" in body
    assert lead.get(f"/pocs/9999/card?expected={token}", headers=HX).status_code == 404


def test_opening_a_card_on_a_stale_board_brings_the_board(lead, setup):
    scalers, pocs = setup
    stale = board_token(lead)
    lead.post(f"/pocs/{pocs['UKMET'].id}/move", data={"to": f"{scalers['Azure'].id}:1",
                                                      "expected": stale})
    response = lead.get(f"/pocs/{pocs['Microsoft'].id}/card?expected={stale}", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#pocs-board"
    assert response.headers["HX-Reswap"] == "outerHTML"
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="pocs-board"') and "The board changed" in body
    assert body.count('class="poc-tools"') == 1 and "Move Microsoft up" in body
    assert body.index("UKMET") < body.index("Microsoft")


def test_a_change_from_an_open_card_keeps_it_open(lead, setup, session):
    scalers, pocs = setup
    ukmet = pocs["UKMET"].id
    response = lead.post(f"/pocs/{ukmet}/move", data={
        "to": f"{scalers['Azure'].id}:1", "expected": board_token(lead), "open": "1"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/pocs?card={ukmet}#poc-{ukmet}")
    response = lead.post(f"/pocs/{ukmet}/move", headers=HX, data={
        "to": f"{scalers['Azure'].id}:2", "expected": board_token(lead), "open": "1"})
    body = response.get_data(as_text=True)
    assert "Moved UKMET to position 2 on Azure." in body
    assert body.count('class="poc-tools"') == 1 and 'id="poc-' + str(ukmet) + '-up"' in body
    # The stage button of the same form posts to the stage URL (formaction).
    response = lead.post(f"/pocs/{ukmet}/stage", headers=HX, data={
        "stage": "confirmed", "version": 1, "open": "1", "expected": board_token(lead)})
    body = response.get_data(as_text=True)
    assert "UKMET on Azure is now confirmed." in body
    assert body.count('class="poc-tools"') == 1 and f'id="stage-{ukmet}"' in body
    # A stale move from an open card: 409, the fresh board, the card still open.
    stale = lead.post(f"/pocs/{ukmet}/move", headers=HX, data={
        "to": f"{scalers['Azure'].id}:1", "expected": "1:0000000000000000", "open": "1"})
    assert stale.status_code == 409
    assert stale.get_data(as_text=True).count('class="poc-tools"') == 1


# --- moves -----------------------------------------------------------------------------

def test_move_without_javascript_redirects(lead, setup):
    scalers, pocs = setup
    response = lead.post(f"/pocs/{pocs['UKMET'].id}/move",
                         data={"to": f"{scalers['Azure'].id}:1", "expected": board_token(lead)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/pocs#poc-{pocs['UKMET'].id}")
    assert columns()["Azure"] == [("UKMET", 1), ("Microsoft", 2)]
    assert "Moved UKMET to position 1 on Azure." in lead.get("/pocs").get_data(as_text=True)


def test_move_with_htmx_returns_the_board(lead, setup):
    scalers, pocs = setup
    response = lead.post(f"/pocs/{pocs['Microsoft'].id}/move", headers=HX,
                         data={"to": f"{scalers['GCP'].id}:1", "expected": board_token(lead)})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Moved Microsoft to position 1 on GCP." in body
    assert columns() == {"GCP": [("Microsoft", 1)], "Azure": [("UKMET", 1)],
                         "AWS": [("Zoom", 1)]}
    assert_gapless()


@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_stale_move_is_a_409_with_the_fresh_board(lead, setup, headers):
    scalers, pocs = setup
    stale = board_token(lead)
    lead.post(f"/pocs/{pocs['UKMET'].id}/move", data={"to": f"{scalers['Azure'].id}:1",
                                                      "expected": stale})
    response = lead.post(f"/pocs/{pocs['Microsoft'].id}/move", headers=headers,
                         data={"to": f"{scalers['AWS'].id}:1", "expected": stale})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone else changed the order" in body
    assert 'id="pocs-board"' in body and f'data-board-order="{board_token(lead)}"' in body
    assert columns()["Azure"] == [("UKMET", 1), ("Microsoft", 2)]
    assert columns()["AWS"] == [("Zoom", 1)]


@pytest.mark.parametrize("to,message", [
    ("2:0", "Position must be between 1 and 2"),
    ("2:3", "Position must be between 1 and 2"),
    ("3:99", "Position must be between 1 and 2 on AWS"),
    ("999:1", "no such hyperscaler"),
    ("up", "not readable"),
    ("", "Say where to move"),
])
def test_bad_moves_are_422_and_change_nothing(lead, setup, to, message):
    scalers, pocs = setup
    to = to.replace("2:", f"{scalers['Azure'].id}:", 1).replace("3:", f"{scalers['AWS'].id}:", 1)
    response = lead.post(f"/pocs/{pocs['Microsoft'].id}/move", headers=HX,
                         data={"to": to, "expected": board_token(lead)})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert columns()["Azure"] == [("Microsoft", 1), ("UKMET", 2)]


def test_garbled_board_state_and_unknown_poc(lead, setup):
    scalers, pocs = setup
    response = lead.post(f"/pocs/{pocs['Microsoft'].id}/move",
                         data={"to": f"{scalers['Azure'].id}:2", "expected": "nonsense"})
    assert response.status_code == 422
    assert "not readable" in response.get_data(as_text=True)
    assert lead.post("/pocs/9999/move", data={"to": "1:1", "expected": ""}).status_code == 404


def test_rank_change(lead, setup, session):
    scalers, _pocs = setup
    order = ",".join(str(scalers[n].id) for n in ("GCP", "Azure", "AWS"))
    response = lead.post(f"/pocs/hyperscalers/{scalers['AWS'].id}/rank", headers=HX,
                         data={"direction": "up", "expected": order})
    assert response.status_code == 200 and "AWS is now priority 2." in response.get_data(True)
    ranks = dict(session.execute(select(Hyperscaler.name, Hyperscaler.rank)).all())
    assert ranks == {"GCP": 1, "AWS": 2, "Azure": 3}
    stale = lead.post(f"/pocs/hyperscalers/{scalers['AWS'].id}/rank",
                      data={"direction": "up", "expected": order})
    assert stale.status_code == 409
    bad = lead.post(f"/pocs/hyperscalers/{scalers['GCP'].id}/rank",
                    data={"direction": "sideways", "expected": order})
    assert bad.status_code == 422


# --- stage changes ---------------------------------------------------------------------

def test_stage_change_plain_and_htmx(lead, setup, session):
    _scalers, pocs = setup
    poc = pocs["Zoom"]
    response = lead.post(f"/pocs/{poc.id}/stage", data={"stage": "confirmed", "version": 1})
    assert response.status_code == 303
    session.expire_all()
    assert session.get(Poc, poc.id).stage == "confirmed"
    response = lead.post(f"/pocs/{poc.id}/stage", headers=HX,
                         data={"stage": "running", "version": 2})
    assert response.status_code == 200
    assert "Zoom on AWS is now running." in response.get_data(as_text=True)


def test_unknown_stage_is_422(lead, setup, session):
    _scalers, pocs = setup
    response = lead.post(f"/pocs/{pocs['Zoom'].id}/stage", headers=HX,
                         data={"stage": "finished", "version": 1})
    assert response.status_code == 422
    assert "Choose one of the stages" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Poc, pocs["Zoom"].id).stage == "candidate"


def test_stale_stage_change_is_409_naming_who_changed_what(app, setup, session):
    _scalers, pocs = setup
    first, second = login(app, "lead"), login(app, "admin")
    poc_id = pocs["Zoom"].id
    assert first.post(f"/pocs/{poc_id}/stage",
                      data={"stage": "confirmed", "version": 1}).status_code == 303
    response = second.post(f"/pocs/{poc_id}/stage", headers=HX,
                           data={"stage": "lost", "version": 1})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Lead User" in body and "candidate → confirmed" in body
    assert "Nothing was saved" in body
    session.expire_all()
    assert session.get(Poc, poc_id).stage == "confirmed"


# --- create and edit -------------------------------------------------------------------

def test_without_customers_adding_a_poc_says_to_add_one_first(app, lead, session):
    """A new program has no customers: an empty customer list and "This field is
    required." would be a dead end."""
    make_scalers("GCP")
    session.commit()
    html = lead.get("/pocs?add=1").get_data(as_text=True)
    assert "data-no-customers" in html and 'id="add-poc-form"' not in html
    assert "data-no-pocs" in html and "All clear" not in html  # nothing was checked
    assert "seq-checks is-empty" in html and "board-hint" not in html  # nothing to drag
    assert 'href="/pocs/customers#add-customer"' in html
    make_customer("Zoom")
    session.commit()
    html = lead.get("/pocs?add=1").get_data(as_text=True)
    assert "data-no-customers" not in html and 'id="add-poc-form"' in html


def test_the_add_form_is_on_the_board_when_asked_for(app, lead, setup, session):
    _scalers, pocs = setup
    assert 'id="add-poc-form"' not in lead.get("/pocs").get_data(as_text=True)
    customer_id = pocs["Zoom"].customer_id
    html = lead.get(f"/pocs?add=1&customer={customer_id}").get_data(as_text=True)
    assert 'id="add-poc-form"' in html and 'action="/pocs"' in html
    assert f'<option selected value="{customer_id}">Zoom</option>' in html
    assert html.index('id="add-poc-form"') < html.index('id="pocs-board"')
    reader = login(app, "executive").get("/pocs?add=1").get_data(as_text=True)
    assert 'id="add-poc-form"' not in reader and 'id="pocs-board"' in reader
    # A customer without a POC links to it.
    citadel = make_customer("Citadel")
    session.commit()
    page = lead.get(f"/pocs/customers/{citadel.id}").get_data(as_text=True)
    assert f'href="/pocs?add=1&amp;customer={citadel.id}#add-poc"' in page



def test_create_poc_joins_the_end_of_its_column(lead, setup, session):
    scalers, _pocs = setup
    customer = make_customer("Citadel")
    session.commit()
    response = lead.post("/pocs", data={
        "customer_id": customer.id, "hyperscaler_id": scalers["Azure"].id, "stage": "candidate",
        "offer_type": "public", "planned_start": "2026-03-01", "planned_end": "2026-04-01",
        "owner_id": "", "success_criteria": "Throughput", "notes": ""})
    assert response.status_code == 303
    assert columns()["Azure"][-1] == ("Citadel", 3)


@pytest.mark.parametrize("changes,field_message", [
    ({"planned_start": "2026-04-01", "planned_end": "2026-03-01"},
     "The end date is before the start date."),
    ({"stage": "finished"}, "Not a valid choice"),
    ({"hyperscaler_id": "9999"}, "Not a valid choice"),
    ({"planned_start": "yesterday"}, "&#39;yesterday&#39; is not a date; use YYYY-MM-DD."),
    ({"planned_end": "9999-12-31"}, "Choose a date between 2000 and 2099."),
    ({"success_criteria": "x" * 6000}, "Field cannot be longer than 5000 characters."),
])
@pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
def test_create_poc_bad_input_is_422_beside_the_field(lead, setup, session, changes,
                                                       field_message, headers):
    scalers, _pocs = setup
    customer = make_customer("Citadel")
    session.commit()
    data = {"customer_id": customer.id, "hyperscaler_id": scalers["GCP"].id,
            "stage": "candidate", "offer_type": "private", "owner_id": ""}
    data.update(changes)
    response = lead.post("/pocs", data=data, headers=headers)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert field_message in body and 'class="field-errors"' in body
    assert ("<html" in body) == (not headers)
    assert session.scalar(select(Poc).where(Poc.customer_id == customer.id)) is None


def test_edit_poc_and_move_it_by_changing_hyperscaler(lead, setup, session):
    scalers, pocs = setup
    poc = pocs["Microsoft"]
    page = lead.get(f"/pocs/{poc.id}")
    assert page.status_code == 200 and 'name="version"' in page.get_data(as_text=True)
    response = lead.post(f"/pocs/{poc.id}", data={
        "customer_id": poc.customer_id, "hyperscaler_id": scalers["GCP"].id,
        "stage": "scheduled", "offer_type": "private", "planned_start": "2026-02-01",
        "planned_end": "2026-02-20", "owner_id": "", "success_criteria": "", "notes": "MAI",
        "version": poc.version})
    assert response.status_code == 303
    assert columns() == {"GCP": [("Microsoft", 1)], "Azure": [("UKMET", 1)],
                         "AWS": [("Zoom", 1)]}
    stale = lead.post(f"/pocs/{poc.id}", headers=HX, data={
        "customer_id": poc.customer_id, "hyperscaler_id": scalers["GCP"].id,
        "stage": "won", "offer_type": "private", "owner_id": "", "version": 1})
    assert stale.status_code == 409
    assert "Lead User" in stale.get_data(as_text=True)
    session.expire_all()
    assert session.get(Poc, poc.id).stage == "scheduled"


def test_edit_poc_end_before_start(lead, setup):
    scalers, pocs = setup
    poc = pocs["Zoom"]
    response = lead.post(f"/pocs/{poc.id}", headers=HX, data={
        "customer_id": poc.customer_id, "hyperscaler_id": scalers["AWS"].id,
        "stage": "candidate", "offer_type": "private", "planned_start": "2026-05-01",
        "planned_end": "2026-04-01", "owner_id": "", "version": poc.version})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "The end date is before the start date." in body and "<html" not in body


def test_poc_detail_for_readers(app, setup):
    _scalers, pocs = setup
    client = login(app, "owner")
    html = client.get(f"/pocs/{pocs['Zoom'].id}").get_data(as_text=True)
    assert "Zoom on AWS" in html and 'name="version"' not in html
    assert client.get("/pocs/9999").status_code == 404


# --- customers -------------------------------------------------------------------------

def test_customers_list_create_and_edit(lead, setup, session):
    scalers, _pocs = setup
    html = lead.get("/pocs/customers").get_data(as_text=True)
    assert "Microsoft" in html and "Add a customer" in html
    response = lead.post("/pocs/customers", data={
        "name": "  Jump   Trading ", "segment": "Financial services", "account_owner_id": "",
        "hyperscalers": [scalers["GCP"].id, scalers["AWS"].id], "notes": ""})
    assert response.status_code == 303
    customer = session.scalar(select(Customer).where(Customer.name == "Jump Trading"))
    assert [h.name for h in customer.hyperscalers] == ["GCP", "AWS"]
    # the same name, whatever its case, spaces or invisible characters
    for same in ("Microsoft", "microsoft ", "Micro\u200bsoft", "JUMP TRADING"):
        duplicate = lead.post("/pocs/customers", headers=HX, data={"name": same})
        assert duplicate.status_code == 422, same
        assert "already a customer with this name" in duplicate.get_data(as_text=True)
    response = lead.post(f"/pocs/customers/{customer.id}", data={
        "name": "Jump Trading", "segment": "Trading", "hyperscalers": [scalers["Azure"].id]})
    assert response.status_code == 303
    session.expire_all()
    customer = session.get(Customer, customer.id)
    assert customer.segment == "Trading" and [h.name for h in customer.hyperscalers] == ["Azure"]
    bad = lead.post(f"/pocs/customers/{customer.id}", data={"name": "",
                                                             "hyperscalers": ["nope"]})
    assert bad.status_code == 422


# --- timeline --------------------------------------------------------------------------

def test_timeline_svg_and_table(lead, setup, session):
    _scalers, pocs = setup
    program = make_program(target_date=date(2026, 2, 1))
    from portal.program.models import Milestone

    session.add(Milestone(program=program, name="Private offers", due_date=date(2026, 1, 1)))
    pocs["Microsoft"].planned_start = date(2026, 1, 5)
    pocs["Microsoft"].planned_end = date(2026, 2, 5)
    session.commit()
    html = lead.get("/pocs/timeline").get_data(as_text=True)
    assert html.count('class="tl-bar ') == 1
    assert 'class="tl-today"' in html and "Private offers" in html
    assert "<details" in html and "05 Jan 2026" in html and "No dates yet" in html


# --- permissions -----------------------------------------------------------------------

@pytest.mark.parametrize("role,allowed", [("admin", True), ("lead", True), ("owner", False),
                                          ("executive", False)])
def test_changes_need_edit_program(app, setup, session, role, allowed):
    scalers, pocs = setup
    client = login(app, role)
    poc = pocs["Zoom"]
    token = board_token(client)
    requests = [
        (f"/pocs/{poc.id}/move", {"to": f"{scalers['GCP'].id}:1", "expected": token}),
        (f"/pocs/{poc.id}/stage", {"stage": "confirmed", "version": 2}),  # moved: v2
        (f"/pocs/hyperscalers/{scalers['AWS'].id}/rank",
         {"direction": "up", "expected": ",".join(str(s.id) for s in scalers.values())}),
        ("/pocs/customers", {"name": f"New {role}"}),
    ]
    for url, data in requests:
        status = client.post(url, data=data).status_code
        assert (status in (200, 303)) == allowed, (url, status)
        assert (status == 403) == (not allowed), (url, status)
    for url in ("/pocs", "/pocs/timeline", "/pocs/customers", f"/pocs/{poc.id}"):
        assert client.get(url).status_code == 200
