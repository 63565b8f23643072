"""donations, with constraints written inside the columns and no names

Revision ID: 1a000000000c
Revises: 1a000000000b
Create Date: 2024-09-02 10:00:00

Written before the project had a naming convention: the foreign key, the unique key and the
two CHECKs get whatever name each server gives them.
"""
from alembic import op
import sqlalchemy as sa

revision = "1a000000000c"
down_revision = "1a000000000b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "donations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id")),
        sa.Column("receipt_no", sa.String(20), unique=True),
        sa.Column("amount_cents", sa.Integer, sa.CheckConstraint("amount_cents > 0")),
        sa.Column("anonymous", sa.Boolean(create_constraint=True)),
    )
    op.bulk_insert(
        sa.table("donations", sa.column("id"), sa.column("member_id"),
                 sa.column("receipt_no"), sa.column("amount_cents"), sa.column("anonymous")),
        [{"id": 1, "member_id": 1, "receipt_no": "R-1", "amount_cents": 500,
          "anonymous": False}],
    )


def downgrade():
    op.drop_table("donations")
