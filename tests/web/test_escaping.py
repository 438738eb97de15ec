"""User text is escaped everywhere: script tags, javascript: URLs and template syntax stored
in every text column, then every page of the URL map is read by a lead."""
from __future__ import annotations

import sqlalchemy as sa

from portal.extensions import db
from tests.factories import PASSWORD, make_user
from tests.web.test_authorization import PUBLIC_ENDPOINTS, rules

PAYLOAD = ('<script>alert("x")</script><img src=x onerror=alert(1)> javascript:alert(1) '
           "{{ 12345*2 }}")
EXEMPT_COLUMNS = {
    "email", "password_hash", "name_key", "alias_key", "title_key", "idempotency_key",
    "calendar_token", "sha256", "recipient", "scope", "key", "via", "entity_type", "action",
}


def _poison_every_text_column():
    """Puts the payload into every free-text column of every row."""
    for table in db.metadata.sorted_tables:
        columns = [
            c for c in table.columns
            if isinstance(c.type, sa.String | sa.Text) and not isinstance(c.type, sa.Enum)
            and c.name not in EXEMPT_COLUMNS and not c.primary_key and not c.foreign_keys
            and not any(isinstance(k, sa.CheckConstraint) for k in table.constraints
                        if c.name in str(getattr(k, "sqltext", "")))
        ]
        unique = {c.name for k in table.constraints if isinstance(k, sa.UniqueConstraint)
                  for c in k.columns} | {c.name for c in table.columns if c.unique}
        for column in columns:
            limit = getattr(column.type, "length", None) or len(PAYLOAD) + 12
            if column.name in unique:
                if "id" not in table.c:
                    continue
                value = sa.literal(PAYLOAD[:limit - 12]) + sa.cast(table.c.id, sa.String)
            else:
                value = PAYLOAD[:limit]
            db.session.execute(table.update().values({column.name: value}))
    db.session.commit()


def test_every_page_escapes_user_text(app, demo):
    _poison_every_text_column()
    user = make_user("admin")
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    pages = 0
    for rule, path in rules(app):
        if "GET" not in rule.methods or rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.get(path)
        assert response.status_code < 500, path
        if response.mimetype != "text/html":
            continue  # CSV, JSON and calendar feeds carry the text as data, not markup
        body = response.get_data(as_text=True)
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
        assert "24690" not in body, path  # template syntax was not evaluated
        pages += response.status_code == 200
    assert pages >= 3


def test_an_item_row_escapes_what_people_typed_for_every_viewer(app):
    """The item row is written in Python (`portal.actions.rows`), not by Jinja's
    autoescape: every value people type is escaped in every shape of the cell, editable
    or not, and in a failed edit's typed values and messages."""
    from datetime import date

    from flask_login import login_user

    from portal.actions.rows import RowWriter
    from tests.factories import make_item, make_person, make_workstream

    owner = make_person(PAYLOAD[:200])
    item = make_item(PAYLOAD[:400], owner_id=owner.id, status="open", due_date=date(2020, 1, 1),
                     tags="a<b x\"y q'z", workstream_id=make_workstream(name=PAYLOAD[:200]).id)
    state = {item.id: {"errors": {"row": PAYLOAD, "due": PAYLOAD, "owner": PAYLOAD},
                       "values": {"due": PAYLOAD}}}
    owner_login = make_user("owner")
    owner_login.person_id = owner.id  # the owner may change the status of their own item
    db.session.commit()
    for user in (make_user("lead"), owner_login, make_user("executive")):
        with app.test_request_context("/actions"):
            login_user(user)
            for row_state in ({}, state):
                html = RowWriter(user, date(2026, 12, 1), selectable=True, id_prefix='"x<',
                                 row_state=row_state)(item)
                assert "<script>alert" not in html and "<img src=x" not in html, user.role
                assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, user.role
                assert "#a&lt;b" in html and "#x&#34;y" in html and "#q&#39;z" in html
                assert '"x<' not in html and "&#34;x&lt;item-" in html
