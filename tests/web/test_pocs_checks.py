"""The sequencing checks where people read them: the POC board, the summary's "POC
sequencing" risk list and /summary.json, before and after a change through the board's
endpoints (a priority change and a move of a card)."""
from __future__ import annotations

import html as htmlib
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.pocs.models import Poc
from portal.program.clock import program_today
from tests.factories import PASSWORD, make_program, make_user
from tests.unit.test_pocs_helpers import make_customer, make_poc, make_scalers

HX = {"HX-Request": "true"}


@pytest.fixture
def lead(app):
    user = make_user("lead")
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


@pytest.fixture
def program(session):
    program = make_program()
    session.commit()
    return program


def day(offset: int):
    return program_today() + timedelta(days=offset)


def board_token(client) -> str:
    html = client.get("/pocs").get_data(as_text=True)
    return html.split('data-board-order="', 1)[1].split('"', 1)[0]


def shown(client) -> dict[str, list[str]]:
    """The warnings' sentences on the board, on the summary page and in its JSON."""
    board = htmlib.unescape(client.get("/pocs").get_data(as_text=True))
    summary = htmlib.unescape(client.get("/summary").get_data(as_text=True))
    data = client.get("/summary.json").get_json()
    return {
        "board": [line.split('<span class="check-text">', 1)[1].split("</span>", 1)[0]
                  for line in board.split("\n") if '<span class="check-text">' in line],
        "summary": [line.split(">", 1)[1].split("</li>", 1)[0]
                    for line in summary.split('<li class="poc-warning"')[1:]],
        "json": [w["message"] for w in data["risks"]["poc_warnings"]],
        "all_clear": ["board"] if "All clear" in board else [],
    }


def test_all_clear_until_the_first_priority_has_no_poc(lead, program, session):
    _gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(azure, make_customer("Microsoft"), planned_start=day(10))
    session.commit()
    gap = ("GCP (priority 1) has no POC, while Azure (priority 2) has 1 POC: add GCP's "
           "first POC or lower its priority.")
    seen = shown(lead)
    assert seen == {"board": [gap], "summary": [gap], "json": [gap], "all_clear": []}
    data = lead.get("/summary.json").get_json()["risks"]["poc_warnings"]
    assert data[0]["kind"] == "priority_gap" and data[0]["hyperscaler"] == "GCP"
    page = lead.get("/pocs").get_data(as_text=True)
    assert ('data-kind="priority_gap"' in page
            and '<span class="check-kind">Priority without a POC</span>' in page)


def test_a_sound_sequence_is_all_clear_everywhere(lead, program, session):
    gcp, azure, _aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(gcp, make_customer("Sigma"), planned_start=day(5))
    make_poc(azure, make_customer("Microsoft"), planned_start=day(20))
    session.commit()
    assert shown(lead) == {"board": [], "summary": [], "json": [], "all_clear": ["board"]}
    assert "The POC sequence follows the rules." in lead.get("/summary").get_data(True)


def test_a_priority_change_on_the_board_that_contradicts_the_dates(lead, program, session):
    gcp, azure, aws = make_scalers("GCP", "Azure", "AWS")
    make_poc(gcp, make_customer("Sigma"), planned_start=day(5))
    make_poc(azure, make_customer("Microsoft"), planned_start=day(20))
    make_poc(aws, make_customer("Zoom"), planned_start=day(40))
    session.commit()
    assert shown(lead)["all_clear"] == ["board"]
    order = f"{gcp.id},{azure.id},{aws.id}"
    response = lead.post(f"/pocs/hyperscalers/{aws.id}/rank", headers=HX,
                         data={"direction": "up", "expected": order})
    body = htmlib.unescape(response.get_data(as_text=True))
    warning = (f"Microsoft on Azure (priority 3) is planned to start "
               f"{day(20).strftime('%d %b %Y')}, before AWS (priority 2) starts "
               f"{day(40).strftime('%d %b %Y')} with Zoom.")
    # The board the endpoint answers with already says it, and so does every other place.
    assert response.status_code == 200 and warning in body and "All clear" not in body
    assert shown(lead) == {"board": [warning], "summary": [warning], "json": [warning],
                           "all_clear": []}
    # Back to the old priorities: all clear again.
    lead.post(f"/pocs/hyperscalers/{aws.id}/rank",
              data={"direction": "down", "expected": f"{gcp.id},{aws.id},{azure.id}"})
    assert shown(lead)["all_clear"] == ["board"]


def test_a_move_on_the_board_that_contradicts_the_dates(lead, program, session):
    (gcp,) = make_scalers("GCP")
    make_poc(gcp, make_customer("Sigma"), planned_start=day(5))
    citadel = make_poc(gcp, make_customer("Citadel"), planned_start=day(30))
    session.commit()
    response = lead.post(f"/pocs/{citadel.id}/move", headers=HX,
                         data={"to": f"{gcp.id}:1", "expected": board_token(lead)})
    body = htmlib.unescape(response.get_data(as_text=True))
    warning = (f"GCP's POCs run top to bottom, but Sigma (#2) starts "
               f"{day(5).strftime('%d %b %Y')}, before Citadel (#1, "
               f"{day(30).strftime('%d %b %Y')}): move the cards or change the dates.")
    assert response.status_code == 200 and warning in body
    assert 'data-kind="sequence_order"' in body and "All clear" not in body
    assert shown(lead) == {"board": [warning], "summary": [warning], "json": [warning],
                           "all_clear": []}
    # The move without JavaScript (303 back to the board) puts it right.
    response = lead.post(f"/pocs/{citadel.id}/move",
                         data={"to": f"{gcp.id}:2", "expected": board_token(lead)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Poc, citadel.id).position == 2
    assert shown(lead)["all_clear"] == ["board"]


def test_a_start_date_that_passed_shows_everywhere(lead, program, session):
    (gcp,) = make_scalers("GCP")
    make_poc(gcp, make_customer("UKMET"), stage="confirmed", planned_start=day(-3))
    session.commit()
    warning = (f"UKMET on GCP was planned to start {day(-3).strftime('%d %b %Y')} (3 days "
               f"ago) but is still confirmed: start it or move its dates.")
    assert shown(lead) == {"board": [warning], "summary": [warning], "json": [warning],
                           "all_clear": []}
