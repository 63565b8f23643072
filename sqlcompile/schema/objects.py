"""Functions, procedures and views raw SQL made, as the schema model keeps them: opaque
objects (their statement verbatim), in creation order, and what a view reads."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

TableKey = tuple[str | None, str]  # (schema, name), as in model.py


#: (namespace: "function", "procedure" or "view", schema, name, argument types): functions and
#: procedures are told apart by their input argument types, as PostgreSQL overloads them.
ObjectKey = tuple[str, str | None, str, tuple[str, ...]]


@dataclass(frozen=True)
class OpaqueModel:
    """A function, procedure or view created by raw SQL, kept as its statement verbatim.

    ``kind`` is "function", "procedure", "view" or "materialized view"; ``arguments`` are the
    input argument types of a function or procedure (normalized: `int4` and `integer` are
    the same), () for a view. ``uses`` are the tables and views a view's query reads, None
    where its query could not be read; ``name_at`` is where the name stands in ``sql`` (a
    rename rewrites it there).
    """

    kind: str
    schema: str | None
    name: str
    arguments: tuple[str, ...]
    sql: str
    uses: tuple[TableKey, ...] | None = ()
    name_at: tuple[int, int] = field(default=(0, 0), compare=False, repr=False)

    @property
    def namespace(self) -> str:
        return "view" if self.kind.endswith("view") else self.kind

    @property
    def key(self) -> ObjectKey:
        return (self.namespace, self.schema, self.name, self.arguments)

    @property
    def title(self) -> str:
        name = f"{self.schema}.{self.name}" if self.schema else self.name
        return (f"{self.kind} {name}" if self.namespace == "view"
                else f"{self.kind} {name}({', '.join(self.arguments)})")

    def mentions(self, word: str) -> bool:
        """Whether the statement names ``word`` (case-insensitively, as a whole word)."""
        return re.search(rf"(?<![\w$]){re.escape(word)}(?![\w$])", self.sql,
                         re.IGNORECASE) is not None

    def reads(self, key: TableKey, same: Callable[[TableKey, TableKey], bool]) -> bool:
        """Whether the view reads the table or view ``key`` (by name where its query could
        not be read)."""
        if self.namespace != "view":
            return False
        if self.uses is None:
            return self.mentions(key[1])
        return any(same(used, key) for used in self.uses)



class ObjectStore:
    """The functions, procedures and views of a :class:`~sqlcompile.schema.model.Schema`
    (its ``_objects``, copied on write with its other maps)."""

    _objects: dict[ObjectKey, OpaqueModel]

    if TYPE_CHECKING:
        def _own(self) -> None: ...
        def same_table(self, one: TableKey, other: TableKey) -> bool: ...
        def mark_incomplete(self, reason: str) -> None: ...

    @property
    def objects(self) -> Mapping[ObjectKey, OpaqueModel]:
        """Functions, procedures and views created by raw SQL, in creation order."""
        return self._objects

    def put_object(self, item: OpaqueModel, replacing: OpaqueModel | None = None) -> None:
        """Add a function, procedure or view, or put it where ``replacing`` (or the object
        with its key) was created: CREATE OR REPLACE and renames keep the object."""
        self._own()
        old = replacing.key if replacing is not None else item.key
        if old == item.key or old not in self._objects:
            self._objects[item.key] = item
            return
        self._objects = {item.key if key == old else key: item if key == old else value
                         for key, value in self._objects.items()}

    def remove_object(self, item: OpaqueModel) -> None:
        self._own()
        self._objects.pop(item.key, None)

    def find_objects(self, namespace: str, name: str, schema: str | None = None,
                     arguments: tuple[str, ...] | None = None) -> list[OpaqueModel]:
        """The objects of ``namespace`` called ``name`` (with those argument types, or any
        when None), in creation order."""
        return [o for o in self._objects.values()
                if o.namespace == namespace and o.name == name
                and self.same_table((o.schema, o.name), (schema, name))
                and (arguments is None or o.arguments == arguments)]

    def readers(self, key: TableKey) -> list[OpaqueModel]:
        """The views reading the table or view ``key``, and those reading them, in creation
        order."""
        found: list[OpaqueModel] = []
        keys = [key]
        while keys:
            current = keys.pop()
            for item in self._objects.values():
                if (item not in found and (item.schema, item.name) != current
                        and item.reads(current, self.same_table)):
                    found.append(item)
                    keys.append((item.schema, item.name))
        order = list(self._objects.values())
        return sorted(found, key=order.index)

    def forget_readers(self, key: TableKey, why: str) -> None:
        """Take the views reading ``key`` out of the model, marking it incomplete (``why``)."""
        gone = self.readers(key)
        if not gone:
            return
        for item in gone:
            self.remove_object(item)
        self.mark_incomplete(f"{why}, and {', '.join(o.title for o in gone)} read(s) it; the "
                             "model no longer holds them")
