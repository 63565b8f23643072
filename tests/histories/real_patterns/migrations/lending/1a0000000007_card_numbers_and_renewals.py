"""library cards, renewals, donors and branch codes

Revision ID: 1a0000000007
Revises: 1a0000000006
Create Date: 2024-06-03 14:10:00
"""
from alembic import op
import sqlalchemy as sa

revision = "1a0000000007"
down_revision = "1a0000000006"
branch_labels = None
depends_on = None


def upgrade():
    # The production MySQL column was widened by hand long ago; existing_type says what it
    # really is there, so the MODIFY that adds the comment keeps that width.
    op.alter_column("members", "email", existing_type=sa.String(200), existing_nullable=False,
                    comment="login address")
    op.add_column("members", sa.Column("card_no", sa.String(20), unique=True))
    op.add_column(
        "loans",
        sa.Column("renewals", sa.Integer,
                  sa.CheckConstraint("renewals BETWEEN 0 AND 3", name="ck_loans_renewals"),
                  nullable=False, server_default="0"),
    )
    op.add_column("books", sa.Column("branch_code", sa.String(8), index=True))
    op.add_column(
        "books",
        sa.Column("donor_id", sa.Integer, sa.ForeignKey("members.id", name="fk_books_donor")),
    )


def downgrade():
    op.drop_constraint("fk_books_donor", "books", type_="foreignkey")
    op.drop_column("books", "donor_id")
    op.drop_index("ix_books_branch_code", table_name="books")
    op.drop_column("books", "branch_code")
    op.drop_column("loans", "renewals")
    op.drop_column("members", "card_no")
    op.alter_column("members", "email", existing_type=sa.String(200), existing_nullable=False,
                    comment=None, existing_comment="login address")
