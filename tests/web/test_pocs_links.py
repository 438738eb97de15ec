"""Linking action items to POCs: from the POC's page (the item chosen by its title) and
from the item's side (the POC chosen by name, "Customer · Hyperscaler")."""
import html

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.pocs.models import Customer, Poc
from tests.factories import PASSWORD, make_item, make_user, signed_in


def _lead(app):
    return signed_in(app, "lead")


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
    for value, message in [("abc", "Choose an action item from the list."),
                           ("99999", "There is no action item #99999 (any more)"),
                           (str(item.id), "is already linked to Microsoft · Azure"),
                           ("", "Choose an action item from the list."),
                           ("9" * 40, "Choose an action item from the list.")]:
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


# --- choosing by name ------------------------------------------------------------------

def _options(page: str, select_name: str) -> list[tuple[str, str]]:
    """(value, text) of the options of the select called `select_name`."""
    import re

    body = page.split(f'name="{select_name}"', 1)[1].split("</select>", 1)[0]
    return [(value, html.unescape(text)) for value, text in
            re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', body)]


def test_the_poc_page_offers_the_items_by_title(app, demo):
    client = _lead(app)
    poc_id = _microsoft().id
    item = make_item("Prepare the Azure private offer")
    done = make_item("Old finished task", status="done")
    db.session.commit()
    page = client.get(f"/pocs/{poc_id}").get_data(as_text=True)
    options = _options(page, "item_id")
    assert options[0] == ("", "Choose an action item…")
    assert (str(item.id), f"#{item.id} · Prepare the Azure private offer") in options
    assert (str(done.id), f"#{done.id} · Old finished task (done)") in options
    assert (page.index('<optgroup label="Open">')
            < page.index('<optgroup label="Done or cancelled">'))
    # Chosen from the select: linked, and gone from the choices.
    assert client.post(f"/pocs/{poc_id}/items", data={"item_id": str(item.id)}).status_code == 303
    page = client.get(f"/pocs/{poc_id}").get_data(as_text=True)
    assert str(item.id) not in [value for value, _ in _options(page, "item_id")]
    # The old number form ("#12") still works for whoever posts it.
    assert client.post(f"/pocs/{poc_id}/items", data={"item_id": f"#{done.id}"}).status_code == 303
    db.session.expire_all()
    assert {i.id for i in _microsoft().action_items} == {item.id, done.id}


def test_link_an_item_to_a_poc_chosen_by_name(app, demo):
    client = _lead(app)
    item = make_item("Line up the UKMET workshop")
    db.session.commit()
    item_id = item.id
    page = client.get(f"/pocs/link-item/{item_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "This item is not linked to any POC yet." in body
    options = _options(body, "poc_id")
    assert options[0] == ("", "Choose a POC…")
    names = [text for _value, text in options[1:]]
    assert names == ["Microsoft · Azure", "UKMET · Azure", "Zoom · AWS"]  # the board's order
    ukmet = dict((text, value) for value, text in options)["UKMET · Azure"]

    response = client.post(f"/pocs/link-item/{item_id}", data={"poc_id": ukmet})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/pocs/link-item/{item_id}")
    page = client.get(f"/pocs/link-item/{item_id}").get_data(as_text=True)
    assert "Linked “Line up the UKMET workshop” to UKMET · Azure." in html.unescape(page)
    assert f'href="/pocs/{ukmet}">UKMET · Azure</a>' in page
    assert "UKMET · Azure" not in [text for _v, text in _options(page, "poc_id")]
    assert [i.id for i in db.session.get(Poc, int(ukmet)).action_items] == [item_id]
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "poc")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.action == "link_item" and event.entity_id == int(ukmet)
    # With htmx the answer is a redirect htmx follows.
    other = dict((text, value) for value, text in options)["Zoom · AWS"]
    response = client.post(f"/pocs/link-item/{item_id}", data={"poc_id": other},
                           headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/pocs/link-item/{item_id}"


def test_unknown_stale_and_repeated_pocs_are_422_beside_the_select(app, demo):
    client = _lead(app)
    item = make_item("Needs a POC")
    db.session.commit()
    item_id = item.id
    microsoft = _microsoft().id
    assert client.post(f"/pocs/link-item/{item_id}",
                       data={"poc_id": str(microsoft)}).status_code == 303
    for value, message in [("", "Choose a POC from the list."),
                           ("abc", "Choose from the list."),
                           ("-3", "Choose from the list."),
                           ("99999", "That POC no longer exists: choose one from the list."),
                           (str(microsoft),
                            f"Action item #{item_id} is already linked to Microsoft · Azure.")]:
        response = client.post(f"/pocs/link-item/{item_id}", data={"poc_id": value})
        assert response.status_code == 422, value
        page = html.unescape(response.get_data(as_text=True))
        assert f'<ul class="field-errors" id="poc_id-msg"><li>{message}</li></ul>' in page, value
        assert 'aria-invalid="true"' in page
    assert client.post("/pocs/link-item/99999", data={"poc_id": str(microsoft)}).status_code == 404
    assert client.get("/pocs/link-item/99999").status_code == 404
    db.session.expire_all()
    assert [i.id for i in db.session.get(Poc, microsoft).action_items] == [item_id]


def test_only_editors_link_by_name(app, demo):
    item = make_item("Not for readers")
    db.session.commit()
    for role in ("owner", "executive"):
        user = make_user(role)
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert client.get(f"/pocs/link-item/{item.id}").status_code == 403
        response = client.post(f"/pocs/link-item/{item.id}", data={"poc_id": str(_microsoft().id)})
        assert response.status_code == 403
    db.session.expire_all()
    assert _microsoft().action_items == []


def test_the_item_page_leads_editors_to_the_link_page(app, demo):
    item = make_item("Reachable from its page")
    db.session.commit()
    link = f'href="/pocs/link-item/{item.id}"'
    assert link in _lead(app).get(f"/actions/{item.id}").get_data(as_text=True)
    reader = make_user("executive")
    client = app.test_client()
    client.post("/login", data={"email": reader.email, "password": PASSWORD})
    assert link not in client.get(f"/actions/{item.id}").get_data(as_text=True)
