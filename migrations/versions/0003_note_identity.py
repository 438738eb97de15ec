"""Items keep the block id of their note line; undated notes are marked; one identity key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:00:00

The identity key of an item (its title casefolded, spaces collapsed, end punctuation
stripped) was computed two ways: items saved on their page kept the end punctuation.
Every key is computed again with the one rule; where that would give two items of one
meeting the same key, the later item keeps its old key.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _key(title):
    """The identity key as of this revision (portal.actions.service.title_key)."""
    return " ".join(title.casefold().split()).rstrip(" .,;:!?…")[:500]


def upgrade():
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('block_id', sa.String(length=64), nullable=True))
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('date_inferred', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))

    items = sa.table('action_item', sa.column('id', sa.Integer),
                     sa.column('meeting_id', sa.Integer), sa.column('title', sa.String),
                     sa.column('title_key', sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(items.c.id, items.c.meeting_id, items.c.title,
                                  items.c.title_key).order_by(items.c.id)).all()
    taken = {(meeting_id, key) for _id, meeting_id, _title, key in rows
             if meeting_id is not None}
    for item_id, meeting_id, title, key in rows:
        new = _key(title)
        if new == key:
            continue
        if meeting_id is not None:
            if (meeting_id, new) in taken:
                continue
            taken.discard((meeting_id, key))
            taken.add((meeting_id, new))
        bind.execute(items.update().where(items.c.id == item_id).values(title_key=new))


def downgrade():
    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('date_inferred')
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_column('block_id')
