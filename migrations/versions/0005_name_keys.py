"""Names are keyed by the rule of portal/text.py: invisible characters and look-alike
letters of other scripts no longer make a second key for the same name.

Recomputes `person.name_key` and `person_alias.alias_key` with `portal.people.names.name_key`
as it is at this revision, cleans stored names of control and format characters, and
passes every item's identity key through the same cleaning (an item keeps its key when
its title is edited, so the key is recomputed from the key, not from the title).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from portal.people.names import name_key
from portal.text import one_line

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    person = sa.table("person", sa.column("id", sa.Integer), sa.column("name", sa.String),
                      sa.column("name_key", sa.String))
    alias = sa.table("person_alias", sa.column("id", sa.Integer),
                     sa.column("alias", sa.String), sa.column("alias_key", sa.String))
    for row in connection.execute(sa.select(person.c.id, person.c.name, person.c.name_key)).all():
        name = one_line(row.name) or row.name
        key = name_key(name)[:120] or row.name_key
        if (name, key) != (row.name, row.name_key):
            connection.execute(person.update().where(person.c.id == row.id)
                               .values(name=name, name_key=key))
    taken = set()
    for row in connection.execute(
            sa.select(alias.c.id, alias.c.alias, alias.c.alias_key).order_by(alias.c.id)).all():
        key = name_key(one_line(row.alias))[:120] or row.alias_key
        if key in taken:  # two aliases that were one spelling: keep the first
            connection.execute(alias.delete().where(alias.c.id == row.id))
            continue
        taken.add(key)
        if key != row.alias_key:
            connection.execute(alias.update().where(alias.c.id == row.id).values(alias_key=key))


    item = sa.table("action_item", sa.column("id", sa.Integer),
                    sa.column("meeting_id", sa.Integer), sa.column("title_key", sa.String))
    rows = connection.execute(sa.select(item.c.id, item.c.meeting_id, item.c.title_key)
                              .order_by(item.c.id)).all()
    keys = {(row.meeting_id, row.title_key) for row in rows}
    for row in rows:
        key = one_line(row.title_key).casefold().rstrip(" .,;:!?…")[:500]
        if key != row.title_key and (row.meeting_id, key) not in keys:
            connection.execute(item.update().where(item.c.id == row.id).values(title_key=key))
            keys.add((row.meeting_id, key))


def downgrade():
    pass  # the keys of 0004 were a coarser form of these; nothing to undo
