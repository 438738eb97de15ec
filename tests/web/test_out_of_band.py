"""The figures a partial change moves elsewhere on its page come with the htmx answer, out
of band: the workstream page after a RAG record, a criterion or an item row; the dashboard
after an item row. Their content, and statement counts that do not grow with the items."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import insert

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.program.models import Criterion
from tests.factories import PASSWORD, make_item, make_person, make_user, make_workstream

HX = {"HX-Request": "true"}
TODAY = date.today()


def oob(html: str, element_id: str) -> str:
    """The element `element_id` sent out of band (it must be)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"[^>]*data-hx-swap-oob="true"[^>]*>'
                      rf'.*?</\1>\s*(?=<\w+[^>]*data-hx-swap-oob|$)', html, re.S)
    assert match, f"no out-of-band #{element_id}"
    return match.group(0)


def oob_ids(html: str) -> list[str]:
    return re.findall(r'\bid="([\w-]+)"[^>]*data-hx-swap-oob="true"', html)


@pytest.fixture
def world(app):
    """A lead (a person too), a workstream reported amber with two items a month late (so
    computed red, flagged), another workstream, and a client signed in as the lead."""
    lead = make_user("lead")
    ann = make_person("Ann Owner")
    ws = make_workstream(name="Hiring", rag="amber", gating=True)
    other = make_workstream(program=ws.program, name="Integrations", gating=True)
    items = [make_item(f"Late {n}", owner_id=ann.id, workstream_id=ws.id, status="open",
                       due_date=TODAY - timedelta(days=30)) for n in range(2)]
    later = make_item("Later", owner_id=lead.person_id, workstream_id=ws.id, status="open",
                      due_date=TODAY + timedelta(days=20))
    db.session.commit()
    client = app.test_client()
    assert client.post("/login", data={"email": lead.email,
                                       "password": PASSWORD}).status_code == 303
    return {"client": client, "lead": lead, "ann": ann, "ws": ws, "other": other,
            "late": items, "later": later}


def row(client, item, return_to: str, **changes):
    response = client.post(f"/actions/{item.id}/row", headers=HX, data={
        "version": item.version, "return_to": return_to, **changes})
    return response.status_code, response.get_data(as_text=True)


# --- the workstream page ----------------------------------------------------------------

def test_recording_red_clears_the_reported_amber_flag_and_updates_the_figures(world):
    ws, client = world["ws"], world["client"]
    db.session.add(Criterion(workstream_id=ws.id, text="Rota staffed", done=True))
    db.session.commit()  # some readiness, so that the meter has a fill (by the worse RAG)
    page = client.get(f"/workstreams/{ws.id}").get_data(as_text=True)
    assert "<strong>Reported amber</strong>" in page[page.index('id="ws-flags"'):]
    response = client.post(f"/workstreams/{ws.id}/status", headers=HX,
                           data={"rag": "red", "note": "Two SREs declined"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section class="card" id="status"')
    assert set(oob_ids(html)) == {"ws-head-badges", "ws-flags", "readiness-figures",
                                  "ws-version"}
    flags = oob(html, "ws-flags")
    assert "Reported amber" not in flags and "data-flag" not in flags
    assert "rag-red" in oob(html, "ws-head-badges")
    assert 'class="meter-fill meter-red"' in oob(html, "readiness-figures")
    # Back to green: the flag comes back, out of band.
    html = client.post(f"/workstreams/{ws.id}/status", headers=HX,
                       data={"rag": "green", "note": ""}).get_data(as_text=True)
    assert "<strong>Reported green</strong>" in oob(html, "ws-flags")


def test_a_criterion_toggle_sends_the_head_figures_and_its_card(world):
    ws, client = world["ws"], world["client"]
    criterion = Criterion(workstream_id=ws.id, text="Rota staffed", weight=1, position=1)
    db.session.add(criterion)
    db.session.commit()
    response = client.post(f"/workstreams/{ws.id}/criteria/{criterion.id}/toggle",
                           data={"done": "1"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section class="card" '
                                                                    'id="readiness"')
    # The readiness figures are in the card itself, the head's figures out of band.
    assert set(oob_ids(html)) == {"ws-head-badges", "ws-flags"}
    assert re.search(r'id="readiness-figures" data-percent="(\d+)">', html).group(1) != "0"


def test_an_item_row_on_the_workstream_page_brings_its_figures(world):
    ws, client = world["ws"], world["client"]
    page = client.get(f"/workstreams/{ws.id}").get_data(as_text=True)
    assert 'id="readiness-figures" data-percent="0"' in page
    for item in world["late"]:
        status, html = row(client, item, f"/workstreams/{ws.id}?page=1", status="done")
        assert status == 200
    assert oob_ids(html) == ["ws-head-badges", "ws-flags", "readiness-figures"]
    figures = oob(html, "readiness-figures")
    # Two of three items done: 67 %, nothing overdue; computed green, so no flag.
    assert 'data-percent="67"' in figures and ">67%<" in figures
    assert "0 overdue" in figures and "items 2 of 3 done" in figures
    assert "data-flag" not in oob(html, "ws-flags")


def test_a_refused_row_sends_no_figures(world):
    status, html = row(world["client"], world["late"][0], "/", due_date="2025-02-30")
    assert status == 422 and "data-hx-swap-oob" not in html


def test_a_row_from_a_page_without_figures_sends_none(world):
    for page in ("/people", "/nowhere", f"/actions/{world['later'].id}"):
        item = db.session.get(ActionItem, world["later"].id)
        status, html = row(world["client"], item, page, priority="low" if page != "/people"
                           else "high")
        assert status == 200 and "data-hx-swap-oob" not in html, page
        db.session.expire_all()


# --- the dashboard ------------------------------------------------------------------------

def test_a_dashboard_row_brings_the_kpis_and_the_late_owners(world):
    client, later = world["client"], world["later"]
    page = client.get("/").get_data(as_text=True)
    assert 'data-count="overdue">2<' in oob_free(page, "kpis")
    status, html = row(client, later, "/", due_date=(TODAY - timedelta(days=3)).isoformat())
    assert status == 200 and html.lstrip().startswith("<tr")
    assert oob_ids(html) == ["program-line", "kpis", "late-owners", "status-flags", "ws-cards",
                             "overdue-head", "due-week-head", "mine-head"]
    kpis = oob(html, "kpis")
    assert 'data-count="overdue">3<' in kpis and 'data-count="due-week">0<' in kpis
    assert '<span class="is-late">1 overdue</span>' in kpis  # the lead's own item
    late = oob(html, "late-owners")
    assert 'data-figure="late-by-owner"' in late
    lead_name = world["lead"].person.name
    assert lead_name in late and "Ann Owner" in late
    assert ">2 overdue<" in late and ">1 overdue<" in late
    assert '<span class="count count-red">3</span>' in oob(html, "overdue-head")
    cards = oob(html, "ws-cards")
    hiring = cards[cards.index(f'data-workstream-id="{world["ws"].id}"'):]
    assert re.search(r"<dt>Overdue</dt><dd>3</dd>", hiring)
    # Done: out of the overdue count and of the strip.
    later = db.session.get(ActionItem, later.id)
    status, html = row(client, later, "/", status="done")
    assert 'data-count="overdue">2<' in oob(html, "kpis")
    assert lead_name not in oob(html, "late-owners")
    assert '<span class="count">0</span>' in oob(html, "mine-head")


def oob_free(page: str, element_id: str) -> str:
    """The element as the full page renders it (no out-of-band marker)."""
    start = page.index(f'id="{element_id}"')
    assert "data-hx-swap-oob" not in page[start:start + 200]
    return page[start:page.index("</section>", start)]


# --- statement counts ---------------------------------------------------------------------

def add_items(world, count: int) -> None:
    owners = [world["ann"].id, world["lead"].person_id, None]
    streams = [world["ws"].id, world["other"].id, None]
    db.session.execute(insert(ActionItem), [
        {"title": f"Bulk {n}", "title_key": f"bulk {n}", "owner_id": owners[n % 3],
         "workstream_id": streams[n % 3], "status": ("open", "done", "proposed")[n % 3],
         "priority": "normal", "due_date": TODAY + timedelta(days=(n % 30) - 15),
         "tags": "", "notes": "", "version": 1} for n in range(count)])
    db.session.commit()


@pytest.mark.parametrize("page", ["/", "/workstreams/{ws}", "/actions?overdue=1"])
def test_a_row_answer_costs_the_same_with_10_and_500_items(app, world, query_counter, page):
    client, item = world["client"], world["later"]
    return_to = page.format(ws=world["ws"].id)
    priorities = iter(["low", "high"] * 4)

    def count() -> int:
        with query_counter() as statements:
            status, html = row(client, db.session.get(ActionItem, item.id), return_to,
                               priority=next(priorities))
        db.session.expire_all()
        assert status == 200 and "data-hx-swap-oob" in html
        return len(statements)

    add_items(world, 7)
    count()  # warm (templates, the login)
    small = count()
    add_items(world, 493)
    assert count() == small
    assert small <= 30, small
