"""Choosing what to link by name, without a request: the POCs as "Customer · Hyperscaler"
in the board's order, the items a POC can still link, and the refusals."""
from __future__ import annotations

import pytest

from portal.audit.log import Actor
from portal.pocs import queries, sequencing, service
from portal.pocs.service import PocInputError
from tests.factories import make_item
from tests.unit.test_pocs_helpers import make_customer, make_poc, make_scalers

ACTOR = Actor(user_id=None, name="tester", via="test")


def test_poc_choices_follow_the_board_and_its_changes(session):
    gcp, azure = make_scalers("GCP", "Azure")
    sigma = make_poc(azure, make_customer("Sigma"))
    zoom = make_poc(gcp, make_customer("Zoom"))
    nbcu = make_poc(gcp, make_customer("NBCU"))
    session.commit()
    assert queries.poc_choices(session) == [
        (zoom.id, "Zoom · GCP"), (nbcu.id, "NBCU · GCP"), (sigma.id, "Sigma · Azure")]
    assert queries.poc_choices(session, exclude={nbcu.id}) == [
        (zoom.id, "Zoom · GCP"), (sigma.id, "Sigma · Azure")]
    sequencing.change_rank(session, ACTOR, azure.id, "up", None)
    session.commit()
    assert [name for _id, name in queries.poc_choices(session)][0] == "Sigma · Azure"


def test_item_choices_leave_out_the_linked_and_put_open_ones_first(session):
    (gcp,) = make_scalers("GCP")
    poc = make_poc(gcp, make_customer("Zoom"))
    done = make_item("Finished", status="done")
    linked = make_item("Linked already")
    open_item = make_item("Still to do")
    session.commit()
    service.link_item(session, ACTOR, poc, str(linked.id))
    session.commit()
    groups = queries.item_choices(session, poc)
    assert list(groups) == ["Open", "Done or cancelled"]
    assert [c.id for c in groups["Open"]] == [open_item.id]
    assert [(c.id, c.status) for c in groups["Done or cancelled"]] == [(done.id, "done")]


def test_link_item_to_poc_refuses_unknown_stale_and_repeated(session):
    (gcp,) = make_scalers("GCP")
    poc = make_poc(gcp, make_customer("Zoom"))
    item = make_item("Workshop")
    session.commit()
    assert service.link_item_to_poc(session, ACTOR, item.id, poc.id) is poc
    session.commit()
    for poc_id, message in [(None, "Choose a POC from the list."),
                            (99999, "That POC no longer exists: choose one from the list."),
                            (poc.id, f"Action item #{item.id} is already linked to Zoom · GCP.")]:
        with pytest.raises(PocInputError) as caught:
            service.link_item_to_poc(session, ACTOR, item.id, poc_id)
        assert caught.value.message == message and caught.value.field == "poc_id"
    with pytest.raises(PocInputError, match=r"There is no action item #99999"):
        service.link_item_to_poc(session, ACTOR, 99999, poc.id)
