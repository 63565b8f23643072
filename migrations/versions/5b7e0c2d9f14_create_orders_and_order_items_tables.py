"""create orders and order_items tables

Revision ID: 5b7e0c2d9f14
Revises: 8d2e4b6a1c93

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "5b7e0c2d9f14"
down_revision = "8d2e4b6a1c93"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.String(length=20),
            server_default=sa.text("'pending'"),
            nullable=False,
            comment="One of: pending, paid, shipped, cancelled",
        ),
        sa.Column(
            "total",
            sa.Numeric(precision=10, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "placed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_orders_user_id_users",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'shipped', 'cancelled')",
            name="ck_orders_status_valid",
        ),
        sa.CheckConstraint("total >= 0", name="ck_orders_total_non_negative"),
    )
    if op.get_context().dialect.name in ("mysql", "mariadb", "oracle"):
        # MySQL, MariaDB and Oracle have no partial indexes: index the status too, which serves
        # `WHERE status = 'pending' ORDER BY placed_at` as well (and indexes every row).
        op.create_index("ix_orders_pending_placed_at", "orders", ["status", "placed_at"])
    else:
        op.create_index(
            "ix_orders_pending_placed_at",
            "orders",
            ["placed_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
            mssql_where=sa.text("status = 'pending'"),
        )
    op.create_table(
        "order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column(
            "position",
            sa.Integer(),
            nullable=False,
            comment="1-based line number within the order",
        ),
        sa.Column("quantity", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "unit_price",
            sa.Numeric(precision=10, scale=2),
            nullable=False,
            comment="Price per copy at the time of purchase",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name="fk_order_items_order_id_orders",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["books.id"],
            name="fk_order_items_book_id_books",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_order_items"),
        sa.UniqueConstraint("order_id", "position", name="uq_order_items_order_id_position"),
        sa.CheckConstraint("quantity > 0", name="ck_order_items_quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="ck_order_items_unit_price_non_negative"),
    )
    op.create_index("ix_order_items_book_id", "order_items", ["book_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_order_items_book_id", table_name="order_items")
    op.drop_table("order_items")
    op.drop_index(
        "ix_orders_pending_placed_at",
        table_name="orders",
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )
    op.drop_table("orders")
