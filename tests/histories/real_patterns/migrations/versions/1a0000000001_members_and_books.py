"""members, books and the member_status type

Revision ID: 1a0000000001
Revises:
Create Date: 2024-03-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "1a0000000001"
down_revision = None
branch_labels = None
depends_on = None

STATUSES = ("active", "suspended")


def upgrade():
    # The type is made first, on its own; the column then only refers to it.
    sa.Enum(*STATUSES, name="member_status").create(op.get_bind(), checkfirst=True)
    op.create_table(
        "members",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String(120), nullable=False, unique=True),
        sa.Column("first_name", sa.String(60)),
        sa.Column("last_name", sa.String(60)),
        sa.Column("status", postgresql.ENUM(*STATUSES, name="member_status", create_type=False),
                  nullable=False, server_default="active"),
    )
    op.create_table(
        "books",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("isbn", sa.String(13), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("shelf_code", sa.String(12), index=True),
        sa.Column("copies", sa.Integer, sa.CheckConstraint("copies >= 0", name="ck_books_copies"),
                  nullable=False, server_default="1"),
        sa.UniqueConstraint("isbn", name="uq_books_isbn"),
    )
    op.create_table_comment("books", "One row per title the library holds")


def downgrade():
    op.drop_table_comment("books", existing_comment="One row per title the library holds")
    op.drop_table("books")
    op.drop_table("members")
    sa.Enum(name="member_status").drop(op.get_bind(), checkfirst=True)
