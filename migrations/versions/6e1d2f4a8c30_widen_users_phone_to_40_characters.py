"""widen users phone to 40 characters

Revision ID: 6e1d2f4a8c30
Revises: f0e2c4a6b8d1

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "6e1d2f4a8c30"
down_revision = "f0e2c4a6b8d1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No existing_type / existing_nullable / existing_comment: sqlcompile's schema model knows
    # the column, so MySQL's MODIFY keeps its comment, SQL Server restates its nullability and
    # SQLite rebuilds the table (keeping the rows of users and of the tables that reference it).
    op.alter_column("users", "phone", type_=sa.String(length=40))


def downgrade() -> None:
    op.alter_column("users", "phone", type_=sa.String(length=32))
