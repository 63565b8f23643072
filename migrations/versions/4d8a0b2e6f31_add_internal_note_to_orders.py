"""add internal note to orders and backfill cancelled orders

Revision ID: 4d8a0b2e6f31
Revises: 9e3f1a7c5d62

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4d8a0b2e6f31"
down_revision = "9e3f1a7c5d62"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column(
            "internal_note",
            sa.Text(),
            nullable=True,
            comment="Staff-only note, never shown to the customer",
        ),
    )
    # Data migration: the bound values deliberately contain a quote, a tab, a
    # colon and a percent sign; they must travel as parameters (or be escaped
    # correctly when rendered inline), never be spliced into the SQL text.
    op.execute(
        sa.text(
            "UPDATE orders SET internal_note = :note "
            "WHERE status = :old AND internal_note IS NULL"
        ).bindparams(
            note="legacy: cancelled before the 'refund\tpolicy' (100% refund) took effect",
            old="cancelled",
        )
    )


def downgrade() -> None:
    op.drop_column("orders", "internal_note")
