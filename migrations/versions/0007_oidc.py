"""Single sign-on with an OpenID Connect provider.

A login keeps the issuer and subject of its account at the provider (both or neither,
unique together); a signed-in session keeps the ID token it began with, for the provider's
sign-out; the security log learns three kinds: a login linked to an account at the
provider, a refused sign-in, and an error of the provider.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

KINDS = ("sign_in", "sign_in_failed", "sign_in_throttled", "lockout_notice", "sign_out",
         "sign_out_everywhere", "password_changed", "password_reset_by_admin",
         "password_reset_requested", "password_set_by_link")
NEW_KINDS = ("account_linked", "sign_in_refused", "provider_error")


def _kinds(kinds) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade():
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_user_account_oidc_issuer_oidc_subject"),
            ["oidc_issuer", "oidc_subject"])
        batch_op.create_check_constraint(
            batch_op.f("ck_user_account_oidc_identity"),
            "(oidc_issuer IS NULL) = (oidc_subject IS NULL)")
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.add_column(sa.Column("id_token", sa.Text(), nullable=True))
    with op.batch_alter_table("security_event") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_security_event_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_security_event_kind"),
                                         _kinds(KINDS + NEW_KINDS))


def downgrade():
    security = sa.table("security_event", sa.column("kind", sa.String))
    op.execute(sa.delete(security).where(security.c.kind.in_(NEW_KINDS)))
    with op.batch_alter_table("security_event") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_security_event_kind"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_security_event_kind"), _kinds(KINDS))
    with op.batch_alter_table("user_session") as batch_op:
        batch_op.drop_column("id_token")
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_user_account_oidc_identity"), type_="check")
        batch_op.drop_constraint(batch_op.f("uq_user_account_oidc_issuer_oidc_subject"),
                                 type_="unique")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
