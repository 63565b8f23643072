"""Following raw SQL that makes functions, procedures and views (see :mod:`follow`).

The model keeps each as an opaque object (:class:`~sqlcompile.schema.model.OpaqueModel`): its
statement verbatim, its key (schema, name, and for a function or procedure its input argument
types) and, for a view, the tables and views its query reads. CREATE [OR REPLACE], DROP
[IF EXISTS] [CASCADE] and ALTER ... RENAME TO are followed; what a drop would take along that
the model cannot tell exactly (a view or a column default calling a dropped function) marks the
model incomplete.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlcompile.schema.model import Schema, TableKey, TableModel, TriggerModel
    from sqlcompile.schema.objects import OpaqueModel

_NAME = r'(?:[\w$]+|"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\])'
_KIND = r"(?P<kind>FUNCTION|PROCEDURE|MATERIALIZED\s+VIEW|VIEW)"
_WHERE = rf"(?:(?P<schema>{_NAME})\s*\.\s*)?(?P<name>{_NAME})"
_CREATE = re.compile(
    r"CREATE\s+(?P<replace>OR\s+REPLACE\s+)?"
    r"(?:(?:ALGORITHM\s*=\s*\w+|DEFINER\s*=\s*\S+|SQL\s+SECURITY\s+\w+|(?P<temp>TEMP(?:ORARY)?)"
    r"|RECURSIVE)\s+)*"
    + _KIND + r"\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?" + _WHERE,
    re.IGNORECASE,
)
_DROP = re.compile(
    r"DROP\s+" + _KIND + r"\s+(?P<exists>IF\s+EXISTS\s+)?(?P<targets>.+?)"
    r"(?:\s+(?P<behaviour>CASCADE|RESTRICT))?\s*",
    re.IGNORECASE | re.DOTALL,
)
_TARGET = re.compile(rf"\s*{_WHERE}\s*(?:\((?P<args>.*)\))?\s*", re.DOTALL)
_RENAME = re.compile(
    r"ALTER\s+" + _KIND + r"\s+(?:IF\s+EXISTS\s+)?" + _WHERE
    + r"\s*(?:\((?P<args>.*?)\))?\s+RENAME\s+TO\s+(?P<new>" + _NAME + r")\s*",
    re.IGNORECASE | re.DOTALL,
)
#: Statements about these objects that change nothing the model holds.
_IGNORED = re.compile(
    r"(?:REFRESH\s+MATERIALIZED\s+VIEW\b"
    r"|ALTER\s+(?:FUNCTION|PROCEDURE|MATERIALIZED\s+VIEW|VIEW)\s.*\sOWNER\s+TO\s+\S+\s*$)",
    re.IGNORECASE | re.DOTALL,
)
#: The query of a view: after its optional column list and options.
_VIEW_QUERY = re.compile(
    r"\s*(?:\((?:[^()]|\([^()]*\))*\)\s*)?(?:WITH\s*\((?:[^()]|\([^()]*\))*\)\s*)?AS\s+(?P<query>.*)",
    re.IGNORECASE | re.DOTALL,
)
_VIEW_TAIL = re.compile(
    r"\s+WITH\s+(?:NO\s+DATA|DATA|(?:CASCADED\s+|LOCAL\s+)?CHECK\s+OPTION)\s*$", re.IGNORECASE)
#: alembic-utils' replace_entity of a view: CREATE OR REPLACE VIEW, or on failure DROP VIEW
#: and CREATE VIEW with the same definition, in a DO block. Either way the view is the new one.
_REPLACE_VIEW_BLOCK = re.compile(
    r"DO\s+\$(?P<tag>\w*)\$\s*BEGIN\s+(?P<create>CREATE\s+OR\s+REPLACE\s+VIEW\s.+?);\s*"
    r"EXCEPTION\s+WHEN\s+OTHERS\s+THEN\s+DROP\s+VIEW\s+IF\s+EXISTS\s+[^;]+;\s*"
    r"(?P<again>CREATE\s+VIEW\s.+?);\s*END\s*;?\s*\$(?P=tag)\$(?:\s*LANGUAGE\s+'?plpgsql'?)?\s*",
    re.IGNORECASE | re.DOTALL,
)

#: Argument modes, and the spellings of a type as PostgreSQL shows it.
_MODES = {"in", "out", "inout", "variadic"}
_TYPE_NAMES = {
    "int": "integer", "int4": "integer", "int8": "bigint", "int2": "smallint",
    "bool": "boolean", "float8": "double precision", "float4": "real", "float": "double precision",
    "varchar": "character varying", "char": "character", "decimal": "numeric",
    "timestamptz": "timestamp with time zone", "timetz": "time with time zone",
    "timestamp without time zone": "timestamp", "time without time zone": "time",
    "serial": "integer", "bigserial": "bigint",
}
#: Types whose name is several words (an argument of one word more is named).
_LONG_TYPES = {"double precision", "character varying", "timestamp with time zone",
               "timestamp without time zone", "time with time zone", "time without time zone",
               "bit varying", "national character varying", "national character"}


def follow_object(schema: Schema, text: str, read: str) -> bool:
    """Apply one statement about a function, procedure or view; False when it is none."""
    if _IGNORED.match(text):
        return True
    block = _REPLACE_VIEW_BLOCK.fullmatch(text)
    if block is not None and _replace_stripped(block.group("create")) == _replace_stripped(
            block.group("again")):
        text = block.group("create")
    sql = text.strip()
    sql = sql[:-1].rstrip() if sql.endswith(";") else sql
    create = _CREATE.match(sql)
    if create is not None:
        return _create(schema, sql, create, read)
    drop = _DROP.fullmatch(sql)
    if drop is not None:
        return _drop(schema, drop, read)
    rename = _RENAME.fullmatch(sql)
    if rename is not None:
        return _rename(schema, rename, read)
    return False


def _replace_stripped(create: str) -> str:
    return " ".join(re.sub(r"^CREATE\s+OR\s+REPLACE\s+", "CREATE ", create.strip(),
                           flags=re.IGNORECASE).split())


def _kind(match: re.Match[str]) -> str:
    return " ".join(match.group("kind").lower().split())


def _folds(read: str) -> bool:
    from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

    return Dialect.get_or_raise(read).NORMALIZATION_STRATEGY != (
        NormalizationStrategy.CASE_SENSITIVE)


def _name(raw: str | None, read: str) -> str | None:
    """A name as the model keeps it: unquoted, folded to lower case where the dialect folds."""
    if raw is None:
        return None
    if raw[:1] == '"':
        return raw[1:-1].replace('""', '"')
    if raw[:1] in ("`", "["):
        return raw[1:-1]
    return raw.lower() if _folds(read) else raw


def _unquoted(text: str, start: int = 0) -> Iterator[tuple[int, str, int]]:
    """(offset, character, parenthesis depth before it) of each character of ``text`` from
    ``start`` that is outside quotes."""
    depth, quote = 0, ""
    for i in range(start, len(text)):
        char = text[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"`":
            quote = char
        else:
            yield i, char, depth
            depth += (char == "(") - (char == ")")


def _top_level(text: str, stop: str) -> list[int]:
    """Offsets of ``stop`` characters in ``text`` outside parentheses and quotes."""
    return [i for i, char, depth in _unquoted(text) if char == stop and depth == 0]


def _closing(text: str, start: int) -> int | None:
    """The offset of the `)` closing the `(` at ``start``."""
    return next((i for i, char, depth in _unquoted(text, start) if char == ")" and depth == 1),
                None)


def arguments(text: str) -> tuple[str, ...]:
    """The input argument types of a parameter list (`a integer, OUT b text, c int = 1`):
    modes, names, defaults and type modifiers left out, type names as PostgreSQL shows them."""
    out: list[str] = []
    cuts = [-1, *_top_level(text, ","), len(text)]
    for start, end in zip(cuts, cuts[1:], strict=False):
        part = re.split(r"\s+DEFAULT\s+|\s*=", text[start + 1:end], maxsplit=1,
                        flags=re.IGNORECASE)[0]
        words = re.sub(r"\([^)]*\)", "", part).split()  # type modifiers do not count
        if not words:
            continue
        if words[0].lower() in _MODES:
            if words[0].lower() == "out":
                continue
            words = words[1:]
        if len(words) > 1 and not _is_type(" ".join(words)):
            words = words[1:]  # the argument's name
        out.append(_type_name(" ".join(words)))
    return tuple(out)


def _type_name(text: str) -> str:
    array = text.rstrip().endswith("]")
    base = re.sub(r"\[[^\]]*\]", "", re.sub(r"\([^)]*\)", "", text))
    name = " ".join(base.split())
    name = name if name[:1] == '"' else name.lower()
    name = _TYPE_NAMES.get(name, name)
    return f"{name}[]" if array else name


def _is_type(text: str) -> bool:
    return " ".join(re.sub(r"\([^)]*\)|\[[^\]]*\]", "", text).lower().split()) in _LONG_TYPES


def _reads(query: str, read: str) -> tuple[TableKey, ...] | None:
    """The tables and views a view's query reads (its CTEs left out); None if sqlglot cannot
    parse it."""
    import sqlglot
    from sqlglot.errors import SqlglotError

    from sqlcompile.sources.parsed import lowercase_unquoted

    query = _VIEW_TAIL.sub("", query.strip())
    try:
        tree = sqlglot.parse_one(query, read=read)
    except SqlglotError:
        return None
    if not isinstance(tree, exp.Query):
        return None
    tree = lowercase_unquoted(tree, read)  # type: ignore[arg-type]
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found: dict[TableKey, None] = {}
    for table in tree.find_all(exp.Table):
        if table.name and not (table.name in ctes and not table.text("db")):
            found[(table.text("db") or None, table.name)] = None
    return tuple(found)


def _create(schema: Schema, sql: str, match: re.Match[str], read: str) -> bool:
    from sqlcompile.schema.objects import OpaqueModel

    if match.group("temp"):
        return True  # gone at the end of the session
    kind = _kind(match)
    name = _name(match.group("name"), read)
    assert name is not None
    owner = _name(match.group("schema"), read)
    args: tuple[str, ...] = ()
    uses: tuple[TableKey, ...] | None = ()
    if kind in ("function", "procedure"):
        opening = re.compile(r"\s*\(").match(sql, match.end())
        closing = _closing(sql, opening.end() - 1) if opening is not None else None
        if opening is None or closing is None:
            return False
        args = arguments(sql[opening.end():closing])
    else:
        query = _VIEW_QUERY.match(sql, match.end())
        if query is None:
            return False
        uses = _reads(query.group("query"), read)
    item = OpaqueModel(kind, owner, name, args, sql, uses, match.span("name"))
    old = schema.find_objects(item.namespace, name, owner, args)
    if old and not match.group("replace"):
        if not match.group("exists"):
            schema.mark_incomplete(f"CREATE {kind.upper()} {name}: the model already has "
                                   f"{old[0].title}")
        return True
    if old and old[0].kind != kind:
        schema.mark_incomplete(f"CREATE OR REPLACE {kind.upper()} {name}: the model has "
                               f"{old[0].title}")
        return True
    schema.put_object(item, old[0] if old else None)
    return True


def _drop(schema: Schema, match: re.Match[str], read: str) -> bool:
    kind = _kind(match)
    namespace = "view" if kind.endswith("view") else kind
    cascade = (match.group("behaviour") or "").upper() == "CASCADE"
    cuts = [-1, *_top_level(match.group("targets"), ","), len(match.group("targets"))]
    targets = [match.group("targets")[a + 1:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    for target in targets:
        found = _TARGET.fullmatch(target)
        if found is None:
            return False
        name = _name(found.group("name"), read)
        assert name is not None
        owner = _name(found.group("schema"), read)
        args = arguments(found.group("args")) if found.group("args") is not None else None
        items = schema.find_objects(namespace, name, owner, args)
        what = f"DROP {kind.upper()} {name}"
        if len(items) != 1 or items[0].kind != kind:
            if items:
                schema.mark_incomplete(f"{what}: the model has {', '.join(i.title for i in items)}")
            elif not match.group("exists"):
                schema.mark_incomplete(f"{what}: the model has no such {kind}")
            continue
        if namespace == "view":
            _drop_view(schema, items[0], cascade, what)
        else:
            _drop_routine(schema, items[0], cascade, what)
    return True


def _drop_view(schema: Schema, item: OpaqueModel, cascade: bool, what: str) -> None:
    readers = schema.readers((item.schema, item.name))
    if readers and not cascade:
        schema.mark_incomplete(f"{what}: {', '.join(o.title for o in readers)} read(s) it, so "
                               "the database refuses to drop it without CASCADE")
        return
    schema.remove_object(item)
    for other in readers:
        schema.remove_object(other)
    if any(o.uses is None for o in readers):
        schema.mark_incomplete(f"{what} CASCADE: what it drops along is found by name only")


def executes(sql: str, name: str) -> re.Match[str] | None:
    """In a trigger's SQL, the name of the function it executes when that is ``name``."""
    for found in re.finditer(
            rf"\bEXECUTE\s+(?:FUNCTION|PROCEDURE)\s+(?:{_NAME}\s*\.\s*)?(?P<name>{_NAME})\s*\(",
            sql, re.IGNORECASE):
        raw = found.group("name")
        if (raw[1:-1] if raw[:1] == '"' else raw.lower()) == name:
            return found
    return None


def _callers(schema: Schema, item: OpaqueModel) -> tuple[list[tuple[TableModel, list[str]]],
                                                          list[str]]:
    """What uses a function: (table, names of its triggers executing it) pairs, and the
    other things calling it that the database records (views, column defaults, checks, index
    expressions; not function bodies)."""
    call = re.compile(rf"(?<![\w$]){re.escape(item.name)}\s*\(", re.IGNORECASE)
    triggers: list[tuple[TableModel, list[str]]] = []
    others = [o.title for o in schema.objects.values()
              if o.namespace == "view" and call.search(o.sql)]
    for table in schema.sorted_tables():
        names = [t.name for t in table.triggers if executes(t.sql, item.name)]
        if names:
            triggers.append((table, names))
        texts = [*(c.default or "" for c in table.columns), *(c.sqltext for c in table.checks),
                 *(p.text for i in table.indexes for p in i.parts if p.expression)]
        if any(call.search(t) for t in texts):
            others.append(f"table {table.title}")
    return triggers, others


def drop_readers(schema: Schema, name: str, owner: str | None) -> None:
    """DROP TABLE ... CASCADE: the views reading the table go with it."""
    for item in schema.readers((owner, name)):
        schema.remove_object(item)


def _drop_routine(schema: Schema, item: OpaqueModel, cascade: bool, what: str) -> None:
    triggers, others = _callers(schema, item)
    users = [f"trigger {n} on {t.title}" for t, names in triggers for n in names] + others
    if users and not cascade:
        schema.mark_incomplete(f"{what}: {', '.join(users)} use(s) it, so the database refuses "
                               "to drop it without CASCADE")
        return
    schema.remove_object(item)
    for table, names in triggers:
        schema.put(replace(table, triggers=tuple(t for t in table.triggers
                                                 if t.name not in names)))
    if others:
        schema.mark_incomplete(f"{what} CASCADE: {', '.join(others)} name(s) it, and the model "
                               "cannot tell what the database drops along")


def _rename(schema: Schema, match: re.Match[str], read: str) -> bool:
    kind = _kind(match)
    namespace = "view" if kind.endswith("view") else kind
    name = _name(match.group("name"), read)
    assert name is not None
    owner = _name(match.group("schema"), read)
    args = arguments(match.group("args")) if match.group("args") is not None else None
    items = schema.find_objects(namespace, name, owner, args)
    if len(items) != 1:
        return False
    [item] = items
    raw = match.group("new")
    new = _name(raw, read)
    assert new is not None
    start, end = item.name_at
    renamed = replace(item, name=new, sql=item.sql[:start] + raw + item.sql[end:],
                      name_at=(start, start + len(raw)))
    if namespace == "view":
        schema.forget_readers((item.schema, item.name), f"{item.title} was renamed")
    else:
        triggers, others = _callers(schema, item)
        for table, names in triggers:
            schema.put(replace(table, triggers=tuple(
                _renamed_call(t, item.name, raw) if t.name in names else t
                for t in table.triggers)))
        if others:
            schema.mark_incomplete(f"{item.title} was renamed, and {', '.join(others)} name(s) "
                                   "it: the database follows the rename, the model cannot")
    schema.put_object(renamed, item)
    return True


def _renamed_call(trigger: TriggerModel, old: str, new: str) -> TriggerModel:
    found = executes(trigger.sql, old)
    assert found is not None
    start, end = found.span("name")
    return replace(trigger, sql=trigger.sql[:start] + new + trigger.sql[end:])
