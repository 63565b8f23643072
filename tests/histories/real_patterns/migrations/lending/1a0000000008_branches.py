"""library branches

Revision ID: 1a0000000008
Revises: 1a0000000007
Create Date: 2024-06-20 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "1a0000000008"
down_revision = "1a0000000007"
branch_labels = None
depends_on = None

BOOKS_COMMENT = "One row per title the library holds"


def _guarded(flag):
    # IF [NOT] EXISTS only where the server has it.
    if op.get_context().dialect.name in ("postgresql", "sqlite", "mariadb"):
        return {flag: True}
    return {}


def upgrade():
    op.create_table(
        "branches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("city", sa.String(60)),
        **_guarded("if_not_exists"),
    )
    op.create_index("ix_branches_city", "branches", ["city"], **_guarded("if_not_exists"))
    op.rename_table("branches", "library_branches")
    op.create_table_comment("library_branches", "Buildings that lend books")
    op.drop_table_comment("books", existing_comment=BOOKS_COMMENT)
    # Opening hours were first kept without a key; a surrogate one comes after the fact.
    op.create_table(
        "opening_hours",
        sa.Column("branch_id", sa.Integer, nullable=False),
        sa.Column("weekday", sa.SmallInteger, nullable=False),
        sa.Column("opens", sa.Time),
        sa.Column("closes", sa.Time),
    )
    op.add_column("opening_hours",
                  sa.Column("id", sa.Integer, primary_key=True, autoincrement=False))


def downgrade():
    op.drop_table("opening_hours")
    op.create_table_comment("books", BOOKS_COMMENT)
    op.drop_table_comment("library_branches", existing_comment="Buildings that lend books")
    op.rename_table("library_branches", "branches")
    op.drop_index("ix_branches_city", table_name="branches", **_guarded("if_exists"))
    op.drop_table("branches", **_guarded("if_exists"))
