"""merge reviews and tags branches

Revision ID: 7a0d3e5f9b28
Revises: c4a91f3e7d25, e6f8a2b0c1d7

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7a0d3e5f9b28"
down_revision = ("c4a91f3e7d25", "e6f8a2b0c1d7")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
