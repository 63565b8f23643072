"""Following raw SQL that makes extensions and sequences (see :mod:`follow`).

The model keeps each as an opaque object (:class:`~sqlcompile.schema.objects.OpaqueModel`),
its CREATE statement verbatim, so that schema.sql and baseline.sql create them before the
tables whose defaults call them (`uuid_generate_v4()`, `nextval('s')`).

- CREATE EXTENSION [IF NOT EXISTS] name [WITH] [SCHEMA s] [VERSION v] [CASCADE] and DROP
  EXTENSION [IF EXISTS] name, ... [CASCADE | RESTRICT], where sqlglot reads PostgreSQL.
- CREATE SEQUENCE [IF NOT EXISTS] name options, where the target has sequences: the options
  verbatim, except OWNED BY, which is kept as the owning column (the printer sets it once the
  tables exist). ALTER SEQUENCE name RENAME TO renames it (and the `'name'` its column
  defaults call); OWNED BY is kept as the owning column; any other option is kept verbatim
  and rerun after the CREATE, in order. DROP SEQUENCE [IF EXISTS] name, ... [CASCADE].

A sequence the model does not hold (one a SERIAL column made, say) is not followed: ALTER of
it marks the model incomplete, as before.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlcompile.sources.follow_objects import _NAME, _WHERE, _name, _top_level

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema
    from sqlcompile.schema.objects import OpaqueModel

_CREATE_EXTENSION = re.compile(
    rf"CREATE\s+EXTENSION\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})"
    rf"(?:\s+WITH)?(?:\s+(?:SCHEMA\s+{_NAME}|VERSION\s+(?:{_NAME}|'(?:[^']|'')*')|CASCADE))*\s*",
    re.IGNORECASE,
)
_DROP = re.compile(
    r"DROP\s+(?P<kind>EXTENSION|SEQUENCE)\s+(?P<exists>IF\s+EXISTS\s+)?(?P<targets>.+?)"
    r"(?:\s+(?P<behaviour>CASCADE|RESTRICT))?\s*",
    re.IGNORECASE | re.DOTALL,
)
_TARGET = re.compile(rf"\s*{_WHERE}\s*")
_CREATE_SEQUENCE = re.compile(
    r"CREATE\s+(?:(?P<temp>TEMP(?:ORARY)?)\s+|UNLOGGED\s+)?SEQUENCE\s+"
    rf"(?P<exists>IF\s+NOT\s+EXISTS\s+)?{_WHERE}(?P<options>(?:\s.*)?)",
    re.IGNORECASE | re.DOTALL,
)
_ALTER_SEQUENCE = re.compile(
    rf"ALTER\s+SEQUENCE\s+(?P<exists>IF\s+EXISTS\s+)?{_WHERE}\s+(?P<options>.+)",
    re.IGNORECASE | re.DOTALL,
)
_RENAME = re.compile(rf"RENAME\s+TO\s+(?P<new>{_NAME})\s*", re.IGNORECASE)
_OWNED = re.compile(
    rf"(?:^|\s+)OWNED\s+BY\s+(?P<target>NONE|{_NAME}(?:\s*\.\s*{_NAME}){{1,2}})(?=\s|$)",
    re.IGNORECASE,
)
_NAME_PART = re.compile(_NAME)


def follow_sequence(schema: Schema, text: str, read: str) -> bool:
    """Apply one statement about an extension or a sequence; False when it is none, or one
    the model does not follow (the caller then marks the model incomplete)."""
    sql = text.strip()
    sql = sql[:-1].rstrip() if sql.endswith(";") else sql
    head = " ".join(sql.split()[:4]).upper()
    if "EXTENSION" in head and _has_extensions(read):
        found = _CREATE_EXTENSION.fullmatch(sql)
        if found is not None:
            return _create_extension(schema, sql, found, read)
    if "SEQUENCE" in head and _has_sequences(schema):
        found = _CREATE_SEQUENCE.fullmatch(sql)
        if found is not None:
            return _create_sequence(schema, sql, found, read)
        found = _ALTER_SEQUENCE.fullmatch(sql)
        if found is not None:
            return _alter_sequence(schema, found, read)
    found = _DROP.fullmatch(sql)
    if found is not None and (_has_extensions(read) if found.group("kind").upper()
                              == "EXTENSION" else _has_sequences(schema)):
        return _drop(schema, found, read)
    return False


def _has_extensions(read: str) -> bool:
    """Whether the SQL is read as PostgreSQL's (or a dialect sqlglot derives from it)."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.dialects.postgres import Postgres

    return isinstance(Dialect.get_or_raise(read), Postgres)


def _has_sequences(schema: Schema) -> bool:
    """Whether the target has sequences (MariaDB has, from 10.3; SQLAlchemy tells only once
    connected)."""
    sa_dialect = schema.dialect.sa_dialect
    return bool(sa_dialect.supports_sequences or getattr(sa_dialect, "is_mariadb", False))


def _create_extension(schema: Schema, sql: str, match: re.Match[str], read: str) -> bool:
    from sqlcompile.schema.objects import OpaqueModel

    name = _name(match.group("name"), read)
    assert name is not None
    if schema.find_objects("extension", name):
        if not match.group("exists"):
            schema.mark_incomplete(f"CREATE EXTENSION {name}: the model already has it")
        return True
    schema.put_object(OpaqueModel("extension", None, name, (), sql, (), match.span("name")))
    return True


def _owner(target: str, read: str) -> tuple[str | None, str, str] | None:
    """The (schema, table, column) of an OWNED BY target; None for NONE."""
    if target.upper() == "NONE":
        return None
    parts = [_name(p.group(0), read) or "" for p in _NAME_PART.finditer(target)]
    return (parts[0] if len(parts) == 3 else None, parts[-2], parts[-1])


def _create_sequence(schema: Schema, sql: str, match: re.Match[str], read: str) -> bool:
    from sqlcompile.schema.objects import OpaqueModel

    if match.group("temp"):
        return True  # gone at the end of the session
    name = _name(match.group("name"), read)
    assert name is not None
    owner = _name(match.group("schema"), read)
    owned = list(_OWNED.finditer(match.group("options")))
    if len(owned) > 1 or (owned and not _has_extensions(read)):
        return False
    owned_by = None
    if owned:  # the table may not exist yet where the printer creates the sequence
        start = match.start("options")
        cut = owned[0].span()
        owned_by = _owner(owned[0].group("target"), read)
        sql = sql[:start + cut[0]] + sql[start + cut[1]:]
    if schema.find_objects("sequence", name, owner):
        if not match.group("exists"):
            schema.mark_incomplete(f"CREATE SEQUENCE {name}: the model already has it")
        return True
    schema.put_object(OpaqueModel("sequence", owner, name, (), sql, (), match.span("name"),
                                  owned_by=owned_by))
    return True


def _alter_sequence(schema: Schema, match: re.Match[str], read: str) -> bool:
    name = _name(match.group("name"), read)
    assert name is not None
    items = schema.find_objects("sequence", name, _name(match.group("schema"), read))
    if len(items) != 1:
        return False  # not made by raw SQL the model followed (a SERIAL column's, say)
    [item] = items
    options = match.group("options").strip()
    rename = _RENAME.fullmatch(options)
    if rename is not None:
        _rename_sequence(schema, item, rename.group("new"), read)
        return True
    if re.match(r"SET\s+SCHEMA\b", options, re.IGNORECASE):
        return False
    owned = list(_OWNED.finditer(options))
    if len(owned) > 1 or (owned and not _has_extensions(read)):
        return False  # OWNED BY is PostgreSQL's
    if owned:
        item = replace(item, owned_by=_owner(owned[0].group("target"), read))
        start, end = owned[0].span()
        options = (options[:start] + options[end:]).strip()
    if options:
        item = replace(item, alters=(*item.alters, options))
    schema.put_object(item)
    return True


def _literal_name(item: OpaqueModel) -> re.Pattern[str]:
    """The sequence named in a string literal (`'s'`, `'public.s'`), as regclass reads it."""
    qualifier = r"(?:[\w$]+\.|\"[^\"]+\"\.)?"
    name = re.escape(item.name)
    return re.compile(rf"'(?P<schema>{qualifier})(?P<name>{name}|\"{name}\")'",
                      re.IGNORECASE if item.name == item.name.lower() else 0)


def _rename_sequence(schema: Schema, item: OpaqueModel, raw: str, read: str) -> None:
    new = _name(raw, read)
    assert new is not None
    start, end = item.name_at
    renamed = replace(item, name=new, sql=item.sql[:start] + raw + item.sql[end:],
                      name_at=(start, start + len(raw)))
    # The database keeps what calls it by its oid, and shows the new name there.
    literal = _literal_name(item)
    shown = raw if raw[:1] == '"' or raw.lower() == raw else f'"{new}"'
    for table in schema.sorted_tables():
        columns = []
        for column in table.columns:
            if column.default and literal.search(column.default):
                column = replace(column, default=literal.sub(
                    lambda m: f"'{m.group('schema')}{shown}'", column.default))
            columns.append(column)
        if tuple(columns) != tuple(table.columns):
            schema.put(replace(table, columns=tuple(columns)))
    others = [o.title for o in schema.objects.values()
              if o.namespace not in ("extension", "sequence") and o.mentions(item.name)]
    if others:
        schema.mark_incomplete(f"{item.title} was renamed, and {', '.join(others)} name(s) "
                               "it: the model cannot tell how the database follows the rename")
    schema.put_object(renamed, item)


def _users(schema: Schema, item: OpaqueModel) -> list[str]:
    """What names a sequence: tables whose column defaults do, and views and functions."""
    word = re.compile(rf"(?<![\w$]){re.escape(item.name)}(?![\w$])", re.IGNORECASE)
    found = [f"table {t.title}" for t in schema.sorted_tables()
             if any(c.default and word.search(c.default) for c in t.columns)]
    return found + [o.title for o in schema.objects.values()
                    if o.namespace not in ("extension", "sequence") and o.mentions(item.name)]


def _drop(schema: Schema, match: re.Match[str], read: str) -> bool:
    kind = match.group("kind").lower()
    cascade = (match.group("behaviour") or "").upper() == "CASCADE"
    text = match.group("targets")
    cuts = [-1, *_top_level(text, ","), len(text)]
    for target in (text[a + 1:b] for a, b in zip(cuts, cuts[1:], strict=False)):
        found = _TARGET.fullmatch(target)
        if found is None or (kind == "extension" and found.group("schema")):
            return False
        name = _name(found.group("name"), read)
        assert name is not None
        items = schema.find_objects(kind, name, _name(found.group("schema"), read))
        what = f"DROP {kind.upper()} {name}"
        if not items:
            if not match.group("exists"):
                schema.mark_incomplete(f"{what}: the model has no such {kind}")
            continue
        [item] = items
        if kind == "extension":
            schema.remove_object(item)
            if cascade:
                schema.mark_incomplete(f"{what} CASCADE: the model cannot tell what uses the "
                                       "extension's functions and types, which the database "
                                       "drops along")
            continue
        users = _users(schema, item)
        if users and not cascade:
            schema.mark_incomplete(f"{what}: {', '.join(users)} name(s) it, so the database "
                                   "may refuse to drop it without CASCADE")
            continue
        schema.remove_object(item)
        if users:
            schema.mark_incomplete(f"{what} CASCADE: {', '.join(users)} name(s) it, and the "
                                   "model cannot tell what the database drops along")
    return True
