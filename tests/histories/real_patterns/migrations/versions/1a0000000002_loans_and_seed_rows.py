"""loans, and the first books and members

Revision ID: 1a0000000002
Revises: 1a0000000001
Create Date: 2024-03-09 09:30:00
"""
import datetime

from alembic import op
import sqlalchemy as sa

revision = "1a0000000002"
down_revision = "1a0000000001"
branch_labels = None
depends_on = None

books = sa.table("books", sa.column("id", sa.Integer), sa.column("isbn", sa.String),
                 sa.column("title", sa.String), sa.column("copies", sa.Integer))
members = sa.table("members", sa.column("id", sa.Integer), sa.column("email", sa.String),
                   sa.column("first_name", sa.String), sa.column("last_name", sa.String))
loans = sa.table("loans", sa.column("id", sa.Integer), sa.column("member_id", sa.Integer),
                 sa.column("book_id", sa.Integer), sa.column("lent_on", sa.Date),
                 sa.column("due_on", sa.Date), sa.column("returned_on", sa.Date))


def upgrade():
    op.create_table(
        "loans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("member_id", sa.Integer,
                  sa.ForeignKey("members.id", name="fk_loans_member", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("book_id", sa.Integer, sa.ForeignKey("books.id", name="fk_loans_book"),
                  nullable=False, index=True),
        sa.Column("lent_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("returned_on", sa.Date),
    )
    op.create_index(op.f("ix_loans_due_on"), "loans", ["due_on"])

    op.bulk_insert(books, [
        {"id": 1, "isbn": "9780000000011", "title": "Lichens of the North Coast", "copies": 2},
        {"id": 2, "isbn": "9780000000028", "title": "Bread, Slowly", "copies": 1},
        {"id": 3, "isbn": "9780000000035", "title": "The Tide Tables", "copies": 3},
    ])
    op.bulk_insert(members, [
        {"id": 1, "email": "ada@example.org", "first_name": "Ada", "last_name": "Moss"},
        {"id": 2, "email": "bo@example.org", "first_name": "Bo", "last_name": "Lind"},
    ])
    op.bulk_insert(loans, [
        {"id": 1, "member_id": 1, "book_id": 1, "lent_on": datetime.date(2020, 1, 2),
         "due_on": datetime.date(2020, 1, 23), "returned_on": None},
        {"id": 2, "member_id": 2, "book_id": 2, "lent_on": datetime.date(2020, 2, 1),
         "due_on": datetime.date(2020, 2, 22), "returned_on": datetime.date(2020, 2, 20)},
        {"id": 3, "member_id": 2, "book_id": 3, "lent_on": datetime.date(2020, 3, 1),
         "due_on": datetime.date(2020, 3, 22), "returned_on": None},
    ])
    op.execute(sa.text("UPDATE books SET shelf_code = :code WHERE shelf_code IS NULL")
               .bindparams(code="UNSORTED"))


def downgrade():
    op.drop_index(op.f("ix_loans_due_on"), table_name="loans")
    op.drop_table("loans")
    op.execute(members.delete().where(members.c.id.in_([1, 2])))
    op.execute(books.delete().where(books.c.id.in_([1, 2, 3])))
