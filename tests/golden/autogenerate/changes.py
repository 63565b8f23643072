"""step 0013

Revision ID: 0013
Revises: 6e1d2f4a8c30
"""

from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '6e1d2f4a8c30'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint(op.f("fk_order_items_order_id_orders"), "order_items", type_="foreignkey")
    op.drop_constraint(op.f("ck_books_stock_non_negative"), "books", type_="check")
    op.drop_index(op.f("ix_books_title"), table_name="books")
    op.create_table(
        "wishlist_items",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column(
            "added_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("CURRENT_TIMESTAMP"),
        ),
        sa.PrimaryKeyConstraint("user_id", "book_id", name=op.f("pk_wishlist_items")),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["books.id"],
            name=op.f("fk_wishlist_items_book_id_books"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_wishlist_items_user_id_users"),
            ondelete="CASCADE",
        ),
        comment="Books a user wants to buy later",
    )
    op.add_column(
        "books",
        sa.Column("subtitle", sa.String(length=200), nullable=False, server_default=""),
    )
    op.alter_column(
        "authors",
        "bio",
        nullable=False,
        comment="Short biography",
        existing_type=sa.Text(),
        existing_nullable=True,
    )
    op.alter_column(
        "order_items",
        "quantity",
        server_default=sa.text("2"),
        existing_type=sa.Integer(),
        existing_nullable=False,
        existing_server_default=sa.text("1"),
    )
    # DATA LOSS: tags.name: narrows VARCHAR(100) to VARCHAR(60)
    op.alter_column(
        "tags",
        "name",
        type_=sa.String(length=60),
        existing_type=sa.String(length=100),
        existing_nullable=False,
    )
    # DATA LOSS: drops column orders.internal_note and its values
    op.drop_column("orders", "internal_note")
    op.create_index(op.f("ix_reviews_created_at"), "reviews", ["created_at"], unique=False)
    op.create_unique_constraint(op.f("uq_users_phone"), "users", ["phone"])
    op.create_foreign_key(
        op.f("fk_order_items_order_id_orders"),
        "order_items",
        "orders",
        ["order_id"],
        ["id"],
        ondelete="RESTRICT",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("fk_order_items_order_id_orders"), "order_items", type_="foreignkey")
    op.drop_constraint(op.f("uq_users_phone"), "users", type_="unique")
    op.drop_index(op.f("ix_reviews_created_at"), table_name="reviews")
    op.add_column(
        "orders",
        sa.Column(
            "internal_note",
            sa.Text(),
            nullable=True,
            comment="Staff-only note, never shown to the customer",
        ),
    )
    op.alter_column(
        "tags",
        "name",
        type_=sa.String(length=100),
        existing_type=sa.String(length=60),
        existing_nullable=False,
    )
    op.alter_column(
        "order_items",
        "quantity",
        server_default=sa.text("1"),
        existing_type=sa.Integer(),
        existing_nullable=False,
        existing_server_default=sa.text("2"),
    )
    op.alter_column(
        "authors",
        "bio",
        nullable=True,
        comment=None,
        existing_type=sa.Text(),
        existing_nullable=False,
        existing_comment="Short biography",
    )
    # DATA LOSS: drops column books.subtitle and its values
    op.drop_column("books", "subtitle")
    # DATA LOSS: drops table wishlist_items and its rows
    op.drop_table("wishlist_items")
    op.create_index(op.f("ix_books_title"), "books", ["title"], unique=False)
    op.create_check_constraint(op.f("ck_books_stock_non_negative"), "books", "stock >= 0")
    op.create_foreign_key(
        op.f("fk_order_items_order_id_orders"),
        "order_items",
        "orders",
        ["order_id"],
        ["id"],
        ondelete="CASCADE",
    )
