"""wider display names, page counts

Revision ID: 1a0000000006
Revises: 1a0000000005
Create Date: 2024-05-20 11:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "1a0000000006"
down_revision = "1a0000000005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("members", recreate="always") as batch_op:
        batch_op.alter_column("display_name", type_=sa.String(160),
                              existing_type=sa.String(130))
    with op.batch_alter_table(
        "books",
        table_args=(sa.CheckConstraint("length(isbn) = 13", name="ck_books_isbn_length"),),
    ) as batch_op:
        batch_op.add_column(
            sa.Column("pages", sa.Integer, sa.CheckConstraint("pages > 0", name="ck_books_pages"))
        )


def downgrade():
    # Display names longer than 130 characters would have to be found and shortened first.
    bind = op.get_bind()
    too_long = bind.execute(
        sa.text("SELECT count(*) FROM members WHERE length(display_name) > 130")
    ).scalar()
    if too_long:
        raise RuntimeError(f"{too_long} display names are too long to narrow the column")
    with op.batch_alter_table("books") as batch_op:
        batch_op.drop_column("pages")
    with op.batch_alter_table("members", recreate="always") as batch_op:
        batch_op.alter_column("display_name", type_=sa.String(130),
                              existing_type=sa.String(160))
