"""donations: drop the unnamed constraints again, and the anonymous flag

Revision ID: 1a000000000d
Revises: 1a000000000c
Create Date: 2024-09-20 16:45:00

As autogenerate writes it for constraints that were created without a name: the drops name
no constraint, only its kind. The flag's column goes with the CHECK its type made.
"""
from alembic import op
import sqlalchemy as sa

revision = "1a000000000d"
down_revision = "1a000000000c"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_constraint(None, "donations", type_="foreignkey")
    op.drop_constraint(None, "donations", type_="unique")
    op.drop_column("donations", "anonymous")
    op.drop_constraint(None, "donations", type_="check")


def downgrade():
    op.create_check_constraint(None, "donations", "amount_cents > 0")
    op.add_column("donations", sa.Column("anonymous", sa.Boolean(create_constraint=True)))
    op.create_unique_constraint(None, "donations", ["receipt_no"])
    op.create_foreign_key(None, "donations", "members", ["member_id"], ["id"])
