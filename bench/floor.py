"""The floor: the least a rendered page of 50 action rows costs on this stack, served by the
same gunicorn settings as the portal over the same database, in the same benchmark run.

One route: a signed session cookie read (Flask's own session), one Core select of 50 open
items with their owner's and workstream's names, a Jinja table of seven escaped cells a
row, and the response compressed by Flask-Compress. No login, permissions, ORM objects,
request logs, metrics or page chrome: the portal's pages can only cost more. Where the
portal's pages stand against this floor tells what any work on them can still win.
"""
from __future__ import annotations

import os

from flask import Flask, session
from flask_compress import Compress
from sqlalchemy import create_engine, select

from portal.actions.models import ActionItem
from portal.people.models import Person
from portal.program.models import Workstream

ROWS = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Items</title></head>
<body><main><h1>Open items</h1><table><thead><tr><th>Item<th>Workstream<th>Owner<th>Status
<th>Priority<th>Due<th>Tags</tr></thead><tbody>
{%- for row in rows %}<tr data-item-id="{{ row.id }}"><td><a href="/actions/{{ row.id }}">
{{- row.title }}</a><td>{{ row.workstream or '' }}<td>{{ row.owner or 'Nobody yet' }}
<td>{{ row.status }}<td>{{ row.priority }}<td>{{ row.due_date or 'No date' }}<td>{{ row.tags }}
{%- endfor %}</tbody></table><p>{{ visits }}</p></main></body></html>"""

app = Flask(__name__)
app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "bench-floor")
Compress(app)
engine = create_engine(os.environ["DATABASE_URL"])
# The portal's tables, read with Core (no ORM mapping is configured).
item, person, workstream = (model.__table__ for model in (ActionItem, Person, Workstream))
ITEMS = (
    select(item.c.id, item.c.title, item.c.status, item.c.priority, item.c.due_date,
           item.c.tags, person.c.name.label("owner"), workstream.c.name.label("workstream"))
    .outerjoin(person, person.c.id == item.c.owner_id)
    .outerjoin(workstream, workstream.c.id == item.c.workstream_id)
    .where(item.c.status == "open")
    .order_by(item.c.due_date, item.c.id)
    .limit(50)
)
TEMPLATE = app.jinja_env.from_string(ROWS)


@app.get("/")
def items():
    with engine.connect() as conn:
        rows = conn.execute(ITEMS).all()
    return TEMPLATE.render(rows=rows, visits=session.get("visits", 0))
