"""Linking action items to a POC from its page."""
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.pocs.models import Customer, Poc
from tests.factories import PASSWORD, make_item, make_user


def _lead(app):
    user = make_user("lead")
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    return client


def _microsoft():
    return db.session.scalar(select(Poc).join(Customer).where(Customer.name == "Microsoft"))


def test_link_and_unlink_an_item(app, demo):
    client = _lead(app)
    poc = _microsoft()
    item = make_item("Prepare the Azure private offer")
    db.session.commit()
    poc_id, item_id = poc.id, item.id

    response = client.post(f"/pocs/{poc_id}/items", data={"item_id": f"#{item_id}"})
    assert response.status_code == 303
    page = client.get(f"/pocs/{poc_id}").get_data(as_text=True)
    assert "Prepare the Azure private offer" in page
    db.session.expire_all()
    assert [i.id for i in _microsoft().action_items] == [item_id]

    response = client.post(f"/pocs/{poc_id}/items/{item_id}/unlink",
                           headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/pocs/{poc_id}"
    db.session.expire_all()
    assert _microsoft().action_items == []
    actions = [e.action for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "poc").order_by(AuditEvent.id))]
    assert actions[-2:] == ["link_item", "unlink_item"]


def test_bad_links_are_refused_beside_the_field(app, demo):
    client = _lead(app)
    poc_id = _microsoft().id
    item = make_item("Linked once")
    db.session.commit()
    assert client.post(f"/pocs/{poc_id}/items", data={"item_id": str(item.id)}).status_code == 303
    for value, message in [("abc", "Enter an action item number"),
                           ("99999", "There is no action item 99999"),
                           (str(item.id), "is already linked"),
                           ("", "Enter an action item number"),
                           ("9" * 40, "Enter an action item number")]:
        response = client.post(f"/pocs/{poc_id}/items", data={"item_id": value},
                               headers={"HX-Request": "true"})
        assert response.status_code == 422, value
        assert message in response.get_data(as_text=True), value
    response = client.post(f"/pocs/{poc_id}/items/99999/unlink")
    assert response.status_code == 422
    db.session.expire_all()
    assert len(_microsoft().action_items) == 1


def test_owner_cannot_link(app, demo):
    owner = make_user("owner")
    item = make_item("Not for owners")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": owner.email, "password": PASSWORD})
    poc_id = _microsoft().id
    assert client.post(f"/pocs/{poc_id}/items", data={"item_id": str(item.id)}).status_code == 403
    db.session.expire_all()
    assert _microsoft().action_items == []
