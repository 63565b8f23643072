"""create tags and book_tags tables

Revision ID: e6f8a2b0c1d7
Revises: 5b7e0c2d9f14

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e6f8a2b0c1d7"
down_revision = "5b7e0c2d9f14"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "order",
            sa.Integer(),
            server_default=sa.text("0"),
            nullable=False,
            comment="Display order in the navigation menu",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tags"),
        sa.UniqueConstraint("name", name="uq_tags_name"),
    )
    op.create_index("ix_tags_slug", "tags", ["slug"], unique=True)
    op.create_table(
        "book_tags",
        sa.Column("book_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["books.id"],
            name="fk_book_tags_book_id_books",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["tags.id"],
            name="fk_book_tags_tag_id_tags",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("book_id", "tag_id", name="pk_book_tags"),
    )
    op.create_index("ix_book_tags_tag_id", "book_tags", ["tag_id"], unique=False)

    # Seed the navigation tags.  The values deliberately contain characters that
    # break naive SQL rendering: quotes, backslashes, tabs, newlines, percent
    # signs, colons (bind-parameter look-alikes), dollar quotes and non-ASCII.
    tags = sa.table(
        "tags",
        sa.column("name", sa.String),
        sa.column("slug", sa.String),
        sa.column("description", sa.Text),
        sa.column("order", sa.Integer),
    )
    op.bulk_insert(
        tags,
        [
            {
                "name": "Children's Books",
                "slug": "childrens-books",
                "description": (
                    'Ages 3\u201312.\nIncludes "picture books" and O\'Reilly\'s kids\' line.'
                ),
                "order": 1,
            },
            {
                "name": "100% Cookery",
                "slug": "cookery",
                "description": "Save 50%\ton\tall titles; code: $$SPRING$$ (not %(code)s or %s)",
                "order": 2,
            },
            {
                "name": "Windows & Shell",
                "slug": "windows-shell",
                "description": (
                    "Paths like C:\\temp\\new and regexes like \\d+\\.\\d+ \\\\server\\share"
                ),
                "order": 3,
            },
            {
                "name": "Psychologie / Ψυχολογία",
                "slug": "psychology",
                "description": "Café – Straße – 日本語 – 📚",
                "order": 4,
            },
            {
                "name": "SQL: the :good :parts",
                "slug": "sql",
                "description": (
                    "Line one\r\nLine two; -- not a comment\n"
                    "/* nor this */ DROP TABLE tags; $tag$x$tag$"
                ),
                "order": 5,
            },
        ],
    )


def downgrade() -> None:
    op.drop_index("ix_book_tags_tag_id", table_name="book_tags")
    op.drop_table("book_tags")
    op.drop_index("ix_tags_slug", table_name="tags")
    op.drop_table("tags")
