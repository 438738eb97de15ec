"""Sessions that end on the server, and the security log apart from program activity.

Adds `user_session` (one row per signed-in browser; signing out deletes it) and
`security_event`. Sign-ins, failures, throttling and password changes recorded in the
audit trail by earlier versions move to the security log; a failed sign-in keeps the
typed address only when it is a well-formed address (earlier versions stored whatever
was typed, a password included). Sessions signed in before this upgrade end with it.

Revision ID: 0004
Revises: 0003
"""
import re

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

KINDS = ("sign_in", "sign_in_failed", "sign_in_throttled", "lockout_notice", "sign_out",
         "sign_out_everywhere", "password_changed", "password_reset_by_admin",
         "password_reset_requested", "password_set_by_link")
# Actions of the audit trail that were security events, and what they are now.
MOVED = {"login": "sign_in", "login_failed": "sign_in_failed",
         "login_throttled": "sign_in_throttled", "password": "password_changed",
         "reset_requested": "password_reset_requested"}
ADDRESS = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_user_session_user_id_user_account"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
    )
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)
    op.create_table(
        "security_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in KINDS) + ")",
                           name=op.f("ck_security_event_kind")),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_security_event_user_id_user_account"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_event")),
    )
    with op.batch_alter_table("security_event") as batch_op:
        batch_op.create_index("ix_security_event_kind_created", ["kind", "created_at"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_security_event_created_at"), ["created_at"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_security_event_user_id"), ["user_id"],
                              unique=False)
    move_security_events(op.get_bind())


def move_security_events(connection) -> None:
    audit = sa.table("audit_event", sa.column("id", sa.Integer),
                     sa.column("created_at", sa.DateTime), sa.column("entity_type", sa.String),
                     sa.column("entity_id", sa.Integer), sa.column("action", sa.String),
                     sa.column("summary", sa.String))
    users = sa.table("user_account", sa.column("id", sa.Integer), sa.column("email", sa.String))
    security = sa.table("security_event", sa.column("created_at", sa.DateTime),
                        sa.column("kind", sa.String), sa.column("user_id", sa.Integer),
                        sa.column("email", sa.String), sa.column("address", sa.String),
                        sa.column("detail", sa.String))
    emails = dict(connection.execute(sa.select(users.c.id, users.c.email)).all())
    rows = connection.execute(
        sa.select(audit.c.id, audit.c.created_at, audit.c.entity_id, audit.c.action,
                  audit.c.summary)
        .where(audit.c.entity_type == "user", audit.c.action.in_(list(MOVED)))).all()
    for row in rows:
        summary = row.summary or ""
        typed = re.search(r" for (.*) from (\S*)$", summary)
        email = emails.get(row.entity_id)
        if email is None and typed and ADDRESS.match(typed.group(1).strip()):
            email = typed.group(1).strip().lower()[:254]
        address = typed.group(2)[:64] if typed and typed.group(2) != "None" else None
        connection.execute(security.insert().values(
            created_at=row.created_at, kind=MOVED[row.action], user_id=row.entity_id,
            email=email, address=address, detail=""))
    if rows:
        connection.execute(sa.delete(audit).where(audit.c.id.in_([r.id for r in rows])))


def downgrade():
    op.drop_table("security_event")
    op.drop_table("user_session")
