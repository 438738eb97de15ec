"""The dashboard `/`: days left, workstream cards with their figures and flags, the lists,
and a statement count that does not grow with the data."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select

from portal.actions.models import ActionItem
from portal.extensions import db
from portal.program.models import Milestone
from tests.factories import (
    PASSWORD,
    make_item,
    make_person,
    make_program,
    make_user,
    make_workstream,
)

TODAY = date.today()


@pytest.fixture
def board(app):
    program = make_program(name="Launch", target_date=TODAY + timedelta(days=40))
    db.session.add(Milestone(program=program, name="Private offers",
                             due_date=TODAY + timedelta(days=12)))
    ann = make_person("Ann Owner")
    bob = make_person("Bob Noemail", email=None)
    green = make_workstream(program, name="Telemetry", rag="green", position=2, lead=ann)
    calm = make_workstream(program, name="Hiring", rag="amber", position=1)
    side = make_workstream(program, name="Side quest", rag="green", position=3, gating=False)
    make_item("Overdue telemetry item", workstream_id=green.id, owner_id=ann.id,
              due_date=TODAY - timedelta(days=3), status="open")
    make_item("Due soon hiring item", workstream_id=calm.id, owner_id=bob.id,
              due_date=TODAY + timedelta(days=2), status="open")
    make_item("Later hiring item", workstream_id=calm.id, owner_id=ann.id,
              due_date=TODAY + timedelta(days=30), status="in_progress")
    make_item("Finished item", workstream_id=side.id, owner_id=ann.id,
              due_date=TODAY - timedelta(days=9), status="done")
    db.session.commit()
    return {"program": program, "ann": ann, "bob": bob, "green": green, "calm": calm,
            "side": side}


def client_for(app, role="lead", person=None, **fields):
    user = make_user(role, **fields)
    if person is not None:
        user.person_id = person.id
        db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def card(html: str, name: str) -> str:
    start = html.index(f">{name}</a></h3>")
    return html[start:html.index("</article>", start)]


def test_dashboard_shows_days_left_and_milestones(app, board):
    html = client_for(app).get("/").get_data(as_text=True)
    assert '<span class="countdown-number">40</span>' in html
    assert "Private offers" in html and "in 12 days" in html


def test_cards_gating_first_with_figures_lead_and_next_item(app, board):
    html = client_for(app).get("/").get_data(as_text=True)
    # Gating ones first (by position), the non-gating one last.
    assert html.index(">Hiring</a></h3>") < html.index(">Telemetry</a></h3>") \
        < html.index(">Side quest</a></h3>")
    telemetry = card(html, "Telemetry")
    assert 'data-rag="green"' in html and "Ann Owner" in telemetry
    assert "<dt>Overdue</dt><dd>1</dd>" in telemetry
    hiring = card(html, "Hiring")
    assert "<dt>Open</dt><dd>2</dd>" in hiring and "<dt>Due 7d</dt><dd>1</dd>" in hiring
    assert "Due soon hiring item" in hiring  # the next item due
    assert 'data-percent="100"' in card(html, "Side quest")


def test_green_with_overdue_items_is_flagged(app, board):
    html = client_for(app).get("/").get_data(as_text=True)
    assert 'data-flag="disagrees"' in card(html, "Telemetry")
    assert 'data-flag="disagrees"' not in card(html, "Hiring")
    assert "Owner status better than the figures" in html


def test_explains_the_computation(app, board):
    html = client_for(app).get("/").get_data(as_text=True)
    assert "How is this computed?" in html and "60 %" in html  # the rule explained


def test_lists_overdue_due_this_week_recent_and_mine(app, board):
    html = client_for(app, person=board["ann"]).get("/").get_data(as_text=True)
    overdue = html[html.index('id="overdue"'):html.index('id="due-week"')]
    assert "Overdue telemetry item" in overdue and "Due soon" not in overdue
    week = html[html.index('id="due-week"'):html.index('id="mine"')]
    assert "Due soon hiring item" in week and "Later hiring item" not in week
    mine = html[html.index('id="mine"'):html.index('id="recent"')]
    assert "Overdue telemetry item" in mine and "Later hiring item" in mine
    assert "Due soon hiring item" not in mine and "Finished item" not in mine
    recent = html[html.index('id="recent"'):]
    assert "Finished item" in recent


def test_login_without_person_is_told_so(app, board):
    html = client_for(app, role="admin", with_person=False).get("/").get_data(as_text=True)
    assert "not linked to a person" in html


def test_unremindable_items_listed(app, board):
    html = client_for(app).get("/").get_data(as_text=True)
    assert 'id="unremindable"' in html
    section = html[html.index('id="unremindable"'):]
    assert "Due soon hiring item" in section  # owner Bob has no email


def test_htmx_request_gets_the_whole_page(app, board):
    response = client_for(app).get("/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("role", ["admin", "lead", "owner", "executive"])
def test_every_role_reads_the_dashboard(app, board, role):
    assert client_for(app, role=role).get("/").status_code == 200


def test_no_program_yet(app):
    """Leads and admins land on the setup; the others read who can set it up."""
    for role in ("admin", "lead"):
        response = client_for(app, role=role).get("/")
        assert response.status_code == 302 and response.headers["Location"] == "/setup"
    for role in ("owner", "executive"):
        html = client_for(app, role=role).get("/").get_data(as_text=True)
        assert "The program is not set up yet" in html and "flask" not in html
        assert "Admin User" in html and "Set up the program" not in html


def bulk(board, count: int) -> None:
    people = [board["ann"].id, board["bob"].id]
    streams = [board["green"].id, board["calm"].id, board["side"].id, None]
    rows = [{"title": f"Bulk {n}", "title_key": f"bulk {n}", "workstream_id": streams[n % 4],
             "owner_id": people[n % 2],
             "status": ("open", "done", "in_progress", "proposed")[n % 4],
             "priority": "normal", "due_date": TODAY + timedelta(days=(n % 30) - 15),
             "tags": "", "notes": "", "version": 1}
            for n in range(count)]
    db.session.execute(insert(ActionItem), rows)
    db.session.commit()


def test_query_count_is_the_same_for_10_and_2000_items(app, board, query_counter):
    client = client_for(app, person=board["ann"])

    def count() -> int:
        client.get("/")
        with query_counter() as statements:
            assert client.get("/").status_code == 200
        return len(statements)

    bulk(board, 6)  # 10 items with the fixture's four
    assert db.session.scalar(select(func.count(ActionItem.id))) == 10
    small = count()
    bulk(board, 1990)
    assert db.session.scalar(select(func.count(ActionItem.id))) == 2000
    assert count() == small
    assert small < 25


def _strip(html: str) -> str:
    start = html.index('data-figure="late-by-owner"')
    return html[start:html.index("</section>", start)]


def test_late_by_owner_names_who_owns_what_is_late(app, board):
    """Most late first, then the longest late; the unowned items as an owner of their own;
    each links to that owner's overdue items; done items and future dates do not count."""
    ann, bob = board["ann"], board["bob"]
    for days, owner in ((1, bob), (2, bob), (20, None)):
        make_item(f"Late {days}", workstream_id=board["calm"].id,
                  owner_id=owner.id if owner else None,
                  due_date=TODAY - timedelta(days=days), status="open")
    db.session.commit()
    strip = _strip(client_for(app).get("/").get_data(as_text=True))
    order = [strip.index(name) for name in ("Bob Noemail", "Nobody (unassigned)", "Ann Owner")]
    assert order == sorted(order)
    assert "2 overdue" in strip and "oldest 2 days overdue" in strip
    assert "oldest 20 days overdue" in strip and "oldest 3 days overdue" in strip
    assert f"/actions?owner={bob.id}&amp;overdue=1" in strip
    assert "/actions?owner=none&amp;overdue=1" in strip
    assert f'data-person-id="{ann.id}"' in strip


def test_late_by_owner_shows_the_first_six_and_how_many_more(app, board):
    for n in range(8):
        person = make_person(f"Late Owner {n}")
        make_item(f"Late item {n}", workstream_id=board["calm"].id, owner_id=person.id,
                  due_date=TODAY - timedelta(days=n + 1), status="open")
    db.session.commit()
    strip = _strip(client_for(app).get("/").get_data(as_text=True))
    assert strip.count("<li ") == 6
    assert "3 more owners with overdue items" in strip  # Ann's item is late too: 9 owners


def test_late_by_owner_says_when_nothing_is_late(app, board):
    db.session.execute(ActionItem.__table__.update().values(status="done"))
    db.session.commit()
    assert "Nothing is overdue." in _strip(client_for(app).get("/").get_data(as_text=True))
