"""rename users display_name to full_name

Revision ID: 9e3f1a7c5d62
Revises: 2c6b8e4f0a17

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "9e3f1a7c5d62"
down_revision = "2c6b8e4f0a17"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.alter_column("users", "display_name", new_column_name="full_name")


def downgrade() -> None:
    op.alter_column("users", "full_name", new_column_name="display_name")
