"""one display name per member

Revision ID: 1a0000000004
Revises: 1a0000000003
Create Date: 2024-04-15 16:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = "1a0000000004"
down_revision = "1a0000000003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("members", sa.Column("display_name", sa.String(130)))
    members = sa.table("members", sa.column("first_name", sa.String),
                       sa.column("last_name", sa.String), sa.column("display_name", sa.String))
    op.execute(
        members.update().values(
            display_name=members.c.first_name + op.inline_literal(" ") + members.c.last_name
        )
    )
    op.drop_column("members", "first_name")
    op.drop_column("members", "last_name")


def downgrade():
    raise NotImplementedError(
        "display names cannot be split back into first and last names"
    )
