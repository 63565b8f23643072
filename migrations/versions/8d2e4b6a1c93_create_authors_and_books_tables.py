"""create authors and books tables

Revision ID: 8d2e4b6a1c93
Revises: 3f1c9a7e2b40

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "8d2e4b6a1c93"
down_revision = "3f1c9a7e2b40"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "authors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("bio", sa.Text(), nullable=True),
        sa.Column("born_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_authors"),
    )
    op.create_table(
        "books",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("isbn", sa.String(length=13), nullable=False, comment="ISBN-13, digits only"),
        sa.Column(
            "price",
            sa.Numeric(precision=10, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "stock",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="Copies on hand in the warehouse",
        ),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name="fk_books_author_id_authors",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_books"),
        sa.UniqueConstraint("isbn", name="uq_books_isbn"),
        sa.CheckConstraint("price >= 0", name="ck_books_price_non_negative"),
        sa.CheckConstraint("stock >= 0", name="ck_books_stock_non_negative"),
    )
    op.create_index("ix_books_author_id", "books", ["author_id"], unique=False)
    op.create_index("ix_books_title", "books", ["title"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_books_title", table_name="books")
    op.drop_index("ix_books_author_id", table_name="books")
    op.drop_table("books")
    op.drop_table("authors")
