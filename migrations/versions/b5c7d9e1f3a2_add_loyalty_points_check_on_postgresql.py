"""add loyalty points check on postgresql

Revision ID: b5c7d9e1f3a2
Revises: 4d8a0b2e6f31

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b5c7d9e1f3a2"
down_revision = "4d8a0b2e6f31"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot add a constraint to an existing table without rebuilding
    # it, so the guard is only enforced where the database can do it in place.
    if op.get_context().dialect.name == "postgresql":
        op.create_check_constraint(
            "ck_users_loyalty_points_non_negative",
            "users",
            "loyalty_points >= 0",
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_constraint("ck_users_loyalty_points_non_negative", "users", type_="check")
