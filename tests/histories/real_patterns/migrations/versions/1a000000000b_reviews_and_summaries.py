"""reviews, book summaries, and the overdue view shows the book

Revision ID: 1a000000000b
Revises: 1a000000000a
Create Date: 2024-08-01 15:30:00

Some databases got the reviews table by hand before this revision was written, so it checks
what is there first.
"""
from alembic import op
import sqlalchemy as sa
from alembic_utils.pg_view import PGView

revision = "1a000000000b"
down_revision = "1a000000000a"
branch_labels = None
depends_on = None

OLD_VIEW = PGView(
    schema="public",
    signature="overdue_loans",
    definition="SELECT id, member_id, due_on FROM loans WHERE returned_on IS NULL",
)
NEW_VIEW = PGView(
    schema="public",
    signature="overdue_loans",
    definition="SELECT id, member_id, due_on, book_id FROM loans WHERE returned_on IS NULL",
)


def _summary_index_kwargs(bind):
    backend = bind.engine.url.get_backend_name()
    if backend in ("mysql", "mariadb"):
        return {"mysql_length": 80}
    if backend in ("postgresql", "sqlite"):
        return {}
    return None  # no index on a long text column elsewhere


def upgrade():
    bind = op.get_bind()
    insp = sa.inspect(bind)
    if not insp.has_table("reviews"):
        op.create_table(
            "reviews",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("book_id", sa.Integer, sa.ForeignKey("books.id", name="fk_reviews_book"),
                      nullable=False),
            sa.Column("member_id", sa.Integer, nullable=False),
            sa.Column("stars", sa.SmallInteger, nullable=False),
            sa.Column("body", sa.Text),
        )
    if not any(fk["referred_table"] == "members" for fk in insp.get_foreign_keys("reviews")):
        op.create_foreign_key("fk_reviews_member", "reviews", "members", ["member_id"], ["id"])
    if "summary" not in {column["name"] for column in insp.get_columns("books")}:
        op.add_column("books", sa.Column("summary", sa.String(500)))
    if "ix_loans_member_id" not in {index["name"] for index in insp.get_indexes("loans")}:
        op.create_index("ix_loans_member_id", "loans", ["member_id"])
    kwargs = _summary_index_kwargs(bind)
    if kwargs is not None:
        op.create_index("ix_books_summary", "books", ["summary"], **kwargs)
    if bind.dialect.name == "postgresql":
        op.replace_entity(NEW_VIEW)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.replace_entity(OLD_VIEW)
    insp = sa.inspect(bind)
    if insp.has_index("books", "ix_books_summary"):
        op.drop_index("ix_books_summary", table_name="books")
    op.drop_index("ix_loans_member_id", table_name="loans")
    op.drop_column("books", "summary")
    op.drop_table("reviews")
