"""Which columns an SQL condition or expression uses (a CHECK's, an index part's), read
token by token: no parser, since the schema model imports none."""

from __future__ import annotations

import re
from functools import lru_cache

#: One token of an SQL condition: a string literal, a quoted name, a word, "::", "(", or else.
_TOKEN = re.compile(r"""
    (?P<string>[A-Za-z]?'(?:[^']|'')*')
  | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<comment>--[^\n]*|/\*.*?\*/)
  | (?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)
  | (?P<word>[^\W\d]\w*(?:\$\w*)*)
  | (?P<cast>::)
  | (?P<other>\S)
""", re.VERBOSE | re.DOTALL)
#: Words of a condition that are not names (a column named so is quoted when rendered).
_KEYWORDS = frozenset("""
    all and any as asc between binary both by case cast collate current_date current_time
    current_timestamp desc distinct else end escape exists false from glob ilike in is isnull
    leading like localtime localtimestamp match not notnull null or overlaps regexp rlike
    similar some symmetric then trailing true unknown when
""".split())


@lru_cache(maxsize=4096)
def sql_columns(text: str) -> frozenset[tuple[str, bool]]:
    """The columns an SQL condition or expression (a CHECK's, an index part's) uses: each
    name, with whether it is quoted. The text is read token by token: string literals,
    comments, function names (a word before `(`), type names (after `::` or CAST's AS),
    qualifiers (`t.` of `t.n`) and keywords are not columns."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(text)]
    found: set[tuple[str, bool]] = set()
    casts = 0  # CAST( ... AS <type>: how many are open
    for i, (kind, value) in enumerate(tokens):
        before = tokens[i - 1] if i else ("", "")
        after = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if kind == "word" and value.casefold() == "cast" and after[1] == "(":
            casts += 1
        if kind not in ("word", "quoted") or after[1] in ("(", "."):
            continue
        if before[0] == "cast" or (casts and before[1].casefold() == "as"):
            casts -= before[0] != "cast"
            continue
        if kind == "quoted":
            found.add((value[1:-1].replace(value[0] * 2, value[0]) if value[0] != "[" else
                       value[1:-1], True))
        elif value.casefold() not in _KEYWORDS:
            found.add((value, False))
    return frozenset(found)


def uses_column(text: str, name: str) -> bool:
    """Whether SQL ``text`` uses column ``name`` (a quoted name as written, an unquoted one in
    any case)."""
    return any(used == name if quoted else used.casefold() == name.casefold()
               for used, quoted in sql_columns(text))
