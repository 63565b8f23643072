"""a banned status, and a view of overdue loans (PostgreSQL)

Revision ID: 1a000000000a
Revises: 1a0000000009
Create Date: 2024-07-15 12:00:00
"""
from alembic import op
from alembic_postgresql_enum import TableReference
from alembic_utils.pg_view import PGView

revision = "1a000000000a"
down_revision = "1a0000000009"
branch_labels = None
depends_on = None

STATUS_COLUMN = TableReference(table_schema="public", table_name="members",
                               column_name="status",
                               existing_server_default="'active'::member_status")

overdue_loans = PGView(
    schema="public",
    signature="overdue_loans",
    definition="SELECT id, member_id, due_on FROM loans WHERE returned_on IS NULL",
)


def _sync_statuses(values):
    op.sync_enum_values(enum_schema="public", enum_name="member_status", new_values=values,
                        affected_columns=[STATUS_COLUMN], enum_values_to_rename=[])


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    _sync_statuses(["active", "suspended", "banned"])
    op.create_entity(overdue_loans)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_entity(overdue_loans)
    _sync_statuses(["active", "suspended"])
