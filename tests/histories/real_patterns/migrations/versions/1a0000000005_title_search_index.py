"""index book titles without locking the table

Revision ID: 1a0000000005
Revises: 1a0000000004
Create Date: 2024-05-02 07:45:00
"""
from alembic import op

revision = "1a0000000005"
down_revision = "1a0000000004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_books_title", "books", ["title"], postgresql_concurrently=True)
