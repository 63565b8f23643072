"""fines for the loans that are overdue

Revision ID: 1a0000000003
Revises: 1a0000000002
Create Date: 2024-04-01 08:00:00

The upgrade looks at the loans to decide which fines to write, so it cannot compile offline:
sql/<dialect>/1a0000000003.upgrade.sql does the same for each dialect in one INSERT ... SELECT.
"""
import datetime

from alembic import op
import sqlalchemy as sa

revision = "1a0000000003"
down_revision = "1a0000000002"
branch_labels = None
depends_on = None

FINE_CENTS = 50


def upgrade():
    fines = op.create_table(
        "fines",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("loan_id", sa.Integer, sa.ForeignKey("loans.id", name="fk_fines_loan"),
                  nullable=False),
        sa.Column("amount_cents", sa.Integer, nullable=False),
    )
    bind = op.get_bind()
    overdue = bind.execute(
        sa.text("SELECT id FROM loans WHERE returned_on IS NULL AND due_on < :today"),
        {"today": datetime.date.today()},
    ).fetchall()
    op.bulk_insert(fines, [{"loan_id": row.id, "amount_cents": FINE_CENTS} for row in overdue])


def downgrade():
    op.drop_table("fines")
