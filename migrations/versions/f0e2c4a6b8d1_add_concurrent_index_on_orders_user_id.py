"""add concurrent index on orders user_id and placed_at

Revision ID: f0e2c4a6b8d1
Revises: b5c7d9e1f3a2

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f0e2c4a6b8d1"
down_revision = "b5c7d9e1f3a2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction block on
    # PostgreSQL; other dialects ignore the postgresql_* keyword.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_orders_user_id_placed_at",
            "orders",
            ["user_id", "placed_at"],
            unique=False,
            postgresql_concurrently=True,
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            "ix_orders_user_id_placed_at",
            table_name="orders",
            postgresql_concurrently=True,
        )
