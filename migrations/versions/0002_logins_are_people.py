"""Every login is a person; invitations; reminder mails can be turned off.

Adds `user_account.invited_at` and `person.reminders_off`, then links every login that
acts as nobody to a person, by the rules `flask users create` uses: the person with the
login's email, else the one whose name or alias matches the login's name (case, accents,
a repeated word), else a new person with the login's name and email.

Revision ID: 0002
Revises: 0001
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from portal.notes.resolve import collapse_repeats
from portal.people.names import name_key

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

user_account = sa.table(
    "user_account", sa.column("id", sa.Integer), sa.column("email", sa.String),
    sa.column("name", sa.String), sa.column("person_id", sa.Integer))
person = sa.table(
    "person", sa.column("id", sa.Integer), sa.column("name", sa.String),
    sa.column("name_key", sa.String), sa.column("email", sa.String),
    sa.column("kind", sa.String), sa.column("send_hour", sa.Integer),
    sa.column("weekdays_only", sa.Boolean), sa.column("overdue_only", sa.Boolean),
    sa.column("reminders_off", sa.Boolean), sa.column("calendar_token", sa.String),
    sa.column("created_at", sa.DateTime), sa.column("updated_at", sa.DateTime))
person_alias = sa.table(
    "person_alias", sa.column("person_id", sa.Integer), sa.column("alias_key", sa.String))


def upgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("invited_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("reminders_off", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    link_logins_to_people(op.get_bind())


def link_logins_to_people(connection) -> None:
    import secrets

    taken = {row.person_id for row in connection.execute(
        sa.select(user_account.c.person_id).where(user_account.c.person_id.is_not(None)))}
    people = connection.execute(sa.select(person.c.id, person.c.name_key, person.c.email)).all()
    by_email = {p.email.lower(): p.id for p in people if p.email}
    by_key = {}
    for p in people:
        by_key.setdefault(p.name_key, p.id)
    for alias in connection.execute(sa.select(person_alias.c.person_id, person_alias.c.alias_key)):
        by_key.setdefault(alias.alias_key, alias.person_id)
    has_email = {p.id for p in people if p.email}
    logins = connection.execute(
        sa.select(user_account.c.id, user_account.c.email, user_account.c.name)
        .where(user_account.c.person_id.is_(None)).order_by(user_account.c.id)).all()
    for login in logins:
        email = login.email.lower()
        key = name_key(login.name)[:120]
        found = by_email.get(email)
        if found is None:
            candidate = by_key.get(key) or by_key.get(collapse_repeats(key))
            if candidate is not None and candidate not in has_email:
                found = candidate
        if found is None or found in taken:
            now = datetime.now(UTC).replace(tzinfo=None)
            found = connection.execute(person.insert().values(
                name=" ".join(login.name.split())[:120] or email, name_key=key or email,
                email=None if email in by_email else email, kind="person", send_hour=8,
                weekdays_only=False, overdue_only=False, reminders_off=False,
                calendar_token=secrets.token_urlsafe(24), created_at=now, updated_at=now,
            ).returning(person.c.id)).scalar_one()
        elif found not in has_email and email not in by_email:
            connection.execute(person.update().where(person.c.id == found).values(email=email))
        by_email.setdefault(email, found)
        has_email.add(found)
        taken.add(found)
        connection.execute(user_account.update().where(user_account.c.id == login.id)
                           .values(person_id=found))


def downgrade():
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("reminders_off")
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("invited_at")
