"""add phone and loyalty points to users

Revision ID: 2c6b8e4f0a17
Revises: 7a0d3e5f9b28

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "2c6b8e4f0a17"
down_revision = "7a0d3e5f9b28"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("phone", sa.String(length=32), nullable=True, comment="E.164 format"),
    )
    op.add_column(
        "users",
        sa.Column("loyalty_points", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("users", "loyalty_points")
    op.drop_column("users", "phone")
