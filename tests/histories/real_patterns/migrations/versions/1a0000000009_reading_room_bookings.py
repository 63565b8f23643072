"""reading room bookings

Revision ID: 1a0000000009
Revises: 1a0000000008
Create Date: 2024-07-01 09:00:00
"""
from alembic import op
from alembic.operations import ops
import sqlalchemy as sa

revision = "1a0000000009"
down_revision = "1a0000000008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "room_bookings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", name="fk_bookings_member"),
                  nullable=False),
        sa.Column("seat", sa.String(10)),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.CheckConstraint("ends_on >= starts_on", name="ck_room_bookings_order"),
    )
    if op.get_context().dialect.name == "postgresql":
        # The room holds one group at a time: no two bookings may overlap.
        op.create_exclude_constraint(
            "ex_room_bookings_overlap", "room_bookings",
            (sa.text("daterange(starts_on, ends_on, '[]')"), "&&"),
            using="gist",
        )
    op.invoke(ops.CreateIndexOp("ix_room_bookings_starts_on", "room_bookings", ["starts_on"]))
    # Bookings without a seat are for the whole room; they never clash on the seat.
    op.create_unique_constraint("uq_room_bookings_seat_day", "room_bookings",
                                ["seat", "starts_on"], postgresql_nulls_not_distinct=False)


def downgrade():
    op.drop_constraint("uq_room_bookings_seat_day", "room_bookings", type_="unique")
    op.invoke(ops.DropIndexOp("ix_room_bookings_starts_on", table_name="room_bookings"))
    if op.get_context().dialect.name == "postgresql":
        op.drop_constraint("ex_room_bookings_overlap", "room_bookings")
    op.drop_table("room_bookings")
