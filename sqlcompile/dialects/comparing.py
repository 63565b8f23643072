"""What a dialect knows for comparing schemas (autogenerate) and reading a live database:
how its DDL states types, defaults and conditions, so two models compare as it sees them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

if TYPE_CHECKING:
    from sqlcompile.schema.model import EnumModel


def _balanced(text: str) -> bool:
    """Whether the parentheses of ``text`` (outside string literals) balance at every point."""
    depth = 0
    quoted = False
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _outside_quotes(text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to what is outside its single-quoted literals."""
    parts = text.split("'")
    return "'".join(change(p) if i % 2 == 0 else p for i, p in enumerate(parts))


class Comparing:
    """The comparing and reflecting half of :class:`~sqlcompile.dialects.base.DialectSupport`
    (a dialect overrides what its server states differently)."""

    name: ClassVar[str]
    title: ClassVar[str]
    if TYPE_CHECKING:
        @property
        def sa_dialect(self) -> Dialect: ...

    # -- comparing schemas (autogenerate) ------------------------------------------------------

    def named_enum(self, type_: Any) -> EnumModel | None:
        """The named enum type a column type needs created first (PostgreSQL's CREATE TYPE),
        or None where enums are part of the column's type."""
        return None

    def enum_value_changes(self, old: EnumModel, new: EnumModel, elsewhere_up: list[str],
                           elsewhere_down: list[str]) -> tuple[list[str], list[str], str | None]:
        """Script lines (upgrade, downgrade) giving the named enum type ``old`` the values of
        ``new`` (with ``elsewhere_*`` run instead on dialects where enums are column types),
        and a note on what they cannot do."""
        raise NotImplementedError(f"{self.title} has no named enum types")

    def conversion_options(self, column: str, type_: Any) -> dict[str, str]:
        """alter_column options this dialect needs to convert a column's values to a type of
        another kind (PostgreSQL's USING); none by default."""
        return {}

    def type_key(self, type_: Any) -> str:
        """A column type as this dialect's DDL states it, in a form that compares equal for
        the same database type (``String(50)`` and ``VARCHAR(50)`` alike)."""
        try:
            text = str(type_.compile(dialect=self.sa_dialect))
        except Exception:  # a type this dialect cannot render: compare by what it is
            text = repr(type_)
        # Case counts inside quotes (MySQL's ENUM('a', 'b') values), not outside.
        key = _outside_quotes(text, lambda part: " ".join(part.upper().split()))
        return self.type_aliases().get(key, key)

    def type_aliases(self) -> dict[str, str]:
        """Type spellings the database stores as another (upper case, as compiled)."""
        return {}

    def default_key(self, text: str | None) -> str | None:
        """A server default in a form that compares equal for equivalent defaults: outer
        parentheses, case outside quotes and spacing do not count."""
        if text is None:
            return None
        value = text.strip()
        while value.startswith("(") and value.endswith(")") and _balanced(value[1:-1]):
            value = value[1:-1].strip()
        value = _outside_quotes(value, lambda part: " ".join(part.lower().split()))
        return self.default_aliases().get(value, value)

    def default_aliases(self) -> dict[str, str]:
        """Default spellings that mean the same value (lower case)."""
        return {"now()": "current_timestamp", "current_timestamp()": "current_timestamp"}

    def sql_key(self, text: str) -> str:
        """A check condition or index expression in a comparable form: outer parentheses,
        spacing, identifier quotes and case outside string literals do not count."""
        value = text.strip()
        while value.startswith("(") and value.endswith(")") and _balanced(value[1:-1]):
            value = value[1:-1].strip()

        def plain(part: str) -> str:
            part = part.replace('"', "").replace("`", "").replace("[", "").replace("]", "")
            part = " ".join(part.lower().split())
            return part.replace("( ", "(").replace(" )", ")")

        return _outside_quotes(value, plain)

    def fk_action_key(self, action: str | None) -> str:
        """An ON DELETE / ON UPDATE action; the default action spelled out counts as none."""
        value = " ".join((action or "").upper().split())
        return "" if value == "NO ACTION" else value

    # -- reading a live database (`revision --autogenerate --against URL`) -------------------

    #: The URL's backend names this dialect and another one, told apart by the server only
    #: (`mysql://` reaches MySQL or MariaDB): finding the dialect of a URL connects.
    shares_url_backend: ClassVar[bool] = False
    #: The database creates an index for each foreign key that no index covers (named after
    #: the key, or after its first column when the key has no name): the models need not
    #: state it.
    creates_foreign_key_indexes: ClassVar[bool] = False

    def server_dialect(self, connected: Dialect) -> str:
        """Our dialect name for the server a connection reached (``connected`` is its
        initialised SQLAlchemy dialect); this dialect's name unless the backend is shared."""
        return self.name

    def reflection_url(self, url: sa.URL) -> sa.URL:
        """The URL reflection connects with: read-only where the driver can say so, so that
        comparing with a database never creates or changes one."""
        return url

    def column_catalog(self, conn: sa.Connection, tables: Sequence[str],
                       ) -> dict[tuple[str, str], tuple[str | None, str | None]]:
        """The server default and the comment of the columns of ``tables`` (default schema)
        by (table, column), read from the database's catalog, for a dialect whose SQLAlchemy
        reflection misreads them; a default as this dialect's DDL states it (literals as
        :meth:`render_string` renders them), None for none. Empty where reflection reads
        them right."""
        return {}
