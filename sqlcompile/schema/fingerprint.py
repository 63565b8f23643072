"""A digest of a schema model's whole content, for the render cache: two models with the same
fingerprint compile every later revision to the same SQL.

Everything a model holds is read, in order (tables, enums, raw-SQL objects, the incomplete,
warning and failed lists; the index owners are made from the tables), each field of each
object, including those left out of comparisons (server names, origins). SQLAlchemy's own
types and constructs are read by class and public attributes. Anything else (a type a script
defines, a clause element, an object whose state is not plain data) cannot be fingerprinted:
:func:`fingerprint` then gives None, and the caller falls back to a digest of the inputs that
made the model, which is always safe, only less often shared.

Model objects are immutable and shared between model copies, so each one's digest is computed
once and kept on the object itself (an attribute outside its fields).
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlcompile.schema.model import Schema


class Unprintable(Exception):
    """An object whose state is not plain data."""


_PLAIN = (str, int, float, bool, type(None), bytes)
_KEPT = "_sqlcompile_fingerprint"


def _text(value: Any, out: list[str], depth: int = 0) -> None:
    """Append a canonical text of ``value`` to ``out``; raise Unprintable if it has none."""
    if depth > 40:
        raise Unprintable("too deep")
    kind = type(value)
    if kind in _PLAIN:
        out.append(f"{kind.__name__}:{value!r}")
    elif isinstance(value, str) and kind.__module__.startswith("sqlalchemy."):
        # quoted_name: a name with its quoting choice
        out.append(f"{kind.__qualname__}:{str(value)!r}:{getattr(value, 'quote', None)!r}")
    elif kind is tuple or kind is list:
        out.append(f"{kind.__name__}{len(value)}(")
        for item in value:
            _text(item, out, depth + 1)
        out.append(")")
    elif kind is dict:
        items = sorted(value.items(), key=lambda kv: repr(kv[0]))
        out.append(f"dict{len(items)}(")
        for key, item in items:
            _text(key, out, depth + 1)
            _text(item, out, depth + 1)
        out.append(")")
    elif kind is frozenset or kind is set:
        out.append(f"set{len(value)}(")
        for item in sorted(value, key=repr):
            _text(item, out, depth + 1)
        out.append(")")
    elif dataclasses.is_dataclass(value) and kind.__module__.startswith("sqlcompile."):
        found = _digest(value)  # model objects are immutable and shared: kept on each
        if found is None:
            raise Unprintable(kind.__qualname__)
        out.append(found.hex())
    elif kind.__module__.startswith("sqlalchemy."):
        # SQLAlchemy's types and constructs keep their settings as public attributes;
        # private ones are caches of what those determine.
        out.append(f"{kind.__module__}.{kind.__qualname__}(")
        state = getattr(value, "__dict__", None)
        if state is None:
            raise Unprintable(kind.__qualname__)
        for key in sorted(k for k in state if not k.startswith("_")):
            out.append(key)
            _text(state[key], out, depth + 1)
        out.append(")")
    else:
        raise Unprintable(f"{kind.__module__}.{kind.__qualname__}")


def _digest(item: Any) -> bytes | None:
    state = getattr(item, "__dict__", None)
    if state is not None and _KEPT in state:
        return state[_KEPT]  # type: ignore[no-any-return]
    kind = type(item)
    out: list[str] = [f"{kind.__module__}.{kind.__qualname__}("]
    try:
        for f in dataclasses.fields(item):
            out.append(f.name)
            _text(getattr(item, f.name), out)
        result: bytes | None = hashlib.blake2b("\x00".join(out).encode("utf-8", "surrogatepass"),
                                               digest_size=16).digest()
    except (Unprintable, TypeError):  # TypeError: not a dataclass
        result = None
    if state is not None:
        state[_KEPT] = result  # frozen dataclasses: their fields are read-only, not __dict__
    return result


def fingerprint(schema: Schema) -> str | None:
    """The digest of ``schema``'s content, or None when part of it cannot be read."""
    h = hashlib.blake2b(digest_size=16)
    for section in (schema._tables, schema._enums, schema._objects):
        h.update(b"\x01")
        for key, item in section.items():
            found = _digest(item)
            if found is None:
                return None
            h.update(repr(key).encode("utf-8", "surrogatepass"))
            h.update(found)
    out: list[str] = []
    try:
        _text((schema.incomplete, schema.warnings, schema.failed), out)
    except Unprintable:
        return None
    h.update("\x00".join(out).encode("utf-8", "surrogatepass"))
    return h.hexdigest()
