"""SQLAlchemy models describing the bookshop schema at the head of migrations/versions.

Every table, column, type, nullability, server default, comment, constraint and
index here mirrors what the migration history produces at head (revision
f0e2c4a6b8d1).  All constraints and indexes carry explicit names, identical to
the names used in the migration scripts; check-constraint names are wrapped in
``conv()`` so the naming convention does not prefix them a second time.

Two things are dialect-specific on purpose, stated with ``ddl_if(dialect=...)``
(which ``sqlcompile check`` and autogenerate honour per dialect), and one is
left out:

* ``ck_users_loyalty_points_non_negative`` exists only on PostgreSQL (revision
  b5c7d9e1f3a2 adds it under a dialect guard, as SQLite cannot add a constraint
  to an existing table); ``ddl_if(dialect="postgresql")`` expresses that here.
* ``ix_orders_pending_placed_at`` is a partial index where the database has
  them, and an index on (status, placed_at) on MySQL, MariaDB and Oracle.
* ``ix_orders_user_id_placed_at`` is created with ``CREATE INDEX CONCURRENTLY`` on
  PostgreSQL by its migration; concurrency is a property of how the index is
  built, not of the schema, so the model declares a plain index.
"""

from __future__ import annotations

import datetime
import decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.schema import conv

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    metadata = metadata


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    email: Mapped[str] = mapped_column(
        sa.String(255), nullable=False, comment="Login e-mail address, stored lower-cased"
    )
    full_name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    is_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, server_default=sa.true())
    created_at: Mapped[datetime.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    )
    phone: Mapped[str | None] = mapped_column(sa.String(40), nullable=True, comment="E.164 format")
    loyalty_points: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, server_default=sa.text("0")
    )

    orders: Mapped[list[Order]] = relationship(back_populates="user")
    reviews: Mapped[list[Review]] = relationship(back_populates="user")

    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.CheckConstraint("email LIKE '%@%'", name=conv("ck_users_email_has_at")),
        sa.CheckConstraint(
            "loyalty_points >= 0", name=conv("ck_users_loyalty_points_non_negative")
        ).ddl_if(dialect="postgresql"),
    )


class Author(Base):
    __tablename__ = "authors"

    id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    bio: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    born_on: Mapped[datetime.date | None] = mapped_column(sa.Date, nullable=True)

    books: Mapped[list[Book]] = relationship(back_populates="author", passive_deletes=True)

    __table_args__ = (sa.PrimaryKeyConstraint("id", name="pk_authors"),)


book_tags = sa.Table(
    "book_tags",
    metadata,
    sa.Column("book_id", sa.Integer, nullable=False),
    sa.Column("tag_id", sa.Integer, nullable=False),
    sa.ForeignKeyConstraint(
        ["book_id"], ["books.id"], name="fk_book_tags_book_id_books", ondelete="CASCADE"
    ),
    sa.ForeignKeyConstraint(
        ["tag_id"], ["tags.id"], name="fk_book_tags_tag_id_tags", ondelete="CASCADE"
    ),
    sa.PrimaryKeyConstraint("book_id", "tag_id", name="pk_book_tags"),
    sa.Index("ix_book_tags_tag_id", "tag_id"),
)


class Book(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    author_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    isbn: Mapped[str] = mapped_column(
        sa.String(13), nullable=False, comment="ISBN-13, digits only"
    )
    price: Mapped[decimal.Decimal] = mapped_column(
        sa.Numeric(10, 2), nullable=False, server_default=sa.text("0")
    )
    stock: Mapped[int] = mapped_column(
        sa.Integer,
        nullable=False,
        server_default=sa.text("0"),
        comment="Copies on hand in the warehouse",
    )
    published_on: Mapped[datetime.date | None] = mapped_column(sa.Date, nullable=True)

    author: Mapped[Author] = relationship(back_populates="books")
    reviews: Mapped[list[Review]] = relationship(back_populates="book", passive_deletes=True)
    tags: Mapped[list[Tag]] = relationship(secondary=book_tags, back_populates="books")

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["author_id"], ["authors.id"], name="fk_books_author_id_authors", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_books"),
        sa.UniqueConstraint("isbn", name="uq_books_isbn"),
        sa.CheckConstraint("price >= 0", name=conv("ck_books_price_non_negative")),
        sa.CheckConstraint("stock >= 0", name=conv("ck_books_stock_non_negative")),
        sa.Index("ix_books_author_id", "author_id"),
        sa.Index("ix_books_title", "title"),
    )


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    user_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(20),
        nullable=False,
        server_default=sa.text("'pending'"),
        comment="One of: pending, paid, shipped, cancelled",
    )
    total: Mapped[decimal.Decimal] = mapped_column(
        sa.Numeric(10, 2), nullable=False, server_default=sa.text("0")
    )
    placed_at: Mapped[datetime.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    )
    internal_note: Mapped[str | None] = mapped_column(
        sa.Text, nullable=True, comment="Staff-only note, never shown to the customer"
    )

    user: Mapped[User] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.position", passive_deletes=True
    )

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_orders_user_id_users", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'shipped', 'cancelled')",
            name=conv("ck_orders_status_valid"),
        ),
        sa.CheckConstraint("total >= 0", name=conv("ck_orders_total_non_negative")),
        # Partial where the database has partial indexes; MySQL, MariaDB and Oracle index the
        # status too (revision 5b7e0c2d9f14 creates one or the other).
        sa.Index(
            "ix_orders_pending_placed_at",
            "placed_at",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
            mssql_where=sa.text("status = 'pending'"),
        ).ddl_if(dialect=("postgresql", "sqlite", "mssql")),
        sa.Index("ix_orders_pending_placed_at", "status", "placed_at").ddl_if(
            dialect=("mysql", "mariadb", "oracle")
        ),
        sa.Index("ix_orders_user_id_placed_at", "user_id", "placed_at"),
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    book_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    position: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, comment="1-based line number within the order"
    )
    quantity: Mapped[int] = mapped_column(sa.Integer, nullable=False, server_default=sa.text("1"))
    unit_price: Mapped[decimal.Decimal] = mapped_column(
        sa.Numeric(10, 2), nullable=False, comment="Price per copy at the time of purchase"
    )

    order: Mapped[Order] = relationship(back_populates="items")
    book: Mapped[Book] = relationship()

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_order_items_order_id_orders", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["book_id"], ["books.id"], name="fk_order_items_book_id_books", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_order_items"),
        sa.UniqueConstraint("order_id", "position", name="uq_order_items_order_id_position"),
        sa.CheckConstraint("quantity > 0", name=conv("ck_order_items_quantity_positive")),
        sa.CheckConstraint(
            "unit_price >= 0", name=conv("ck_order_items_unit_price_non_negative")
        ),
        sa.Index("ix_order_items_book_id", "book_id"),
    )


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    book_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    user_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    rating: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, comment="1 (worst) to 5 (best) stars"
    )
    body: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(
        sa.DateTime(timezone=True), nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
    )

    book: Mapped[Book] = relationship(back_populates="reviews")
    user: Mapped[User] = relationship(back_populates="reviews")

    __table_args__ = (
        sa.ForeignKeyConstraint(
            ["book_id"], ["books.id"], name="fk_reviews_book_id_books", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_reviews_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
        sa.UniqueConstraint("book_id", "user_id", name="uq_reviews_book_id_user_id"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=conv("ck_reviews_rating_range")),
        sa.Index("ix_reviews_user_id", "user_id"),
    )


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    slug: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # "order" is a reserved word on both PostgreSQL and SQLite: it is always quoted.
    order: Mapped[int] = mapped_column(
        "order",
        sa.Integer,
        nullable=False,
        server_default=sa.text("0"),
        comment="Display order in the navigation menu",
    )

    books: Mapped[list[Book]] = relationship(secondary=book_tags, back_populates="tags")

    __table_args__ = (
        sa.PrimaryKeyConstraint("id", name="pk_tags"),
        sa.UniqueConstraint("name", name="uq_tags_name"),
        sa.Index("ix_tags_slug", "slug", unique=True),
    )


__all__ = [
    "NAMING_CONVENTION",
    "Author",
    "Base",
    "Book",
    "Order",
    "OrderItem",
    "Review",
    "Tag",
    "User",
    "book_tags",
    "metadata",
]
