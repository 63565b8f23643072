"""Extensions, sequences, functions, procedures and views raw SQL made, as the schema model
keeps them: opaque objects (their statement verbatim), in creation order, and what a view
reads."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

TableKey = tuple[str | None, str]  # (schema, name), as in model.py


#: (namespace: "extension", "sequence", "function", "procedure" or "view", schema, name,
#: argument types): functions and procedures are told apart by their input argument types, as
#: PostgreSQL overloads them.
ObjectKey = tuple[str, str | None, str, tuple[str, ...]]


@dataclass(frozen=True)
class OpaqueModel:
    """An object created by raw SQL, kept as its statement verbatim.

    ``kind`` is "extension", "sequence", "function", "procedure", "view" or "materialized
    view"; ``arguments`` are the input argument types of a function or procedure (normalized:
    `int4` and `integer` are the same), () otherwise. ``uses`` are the tables and views a
    view's query reads, None where its query could not be read; ``name_at`` is where the name
    stands in ``sql`` (a rename rewrites it there). A sequence's later ALTER SEQUENCE options
    are kept verbatim in ``alters`` (in order; rerun after its CREATE), its OWNED BY column
    as ``owned_by`` (schema, table, column): the printer sets that once the tables exist.
    """

    kind: str
    schema: str | None
    name: str
    arguments: tuple[str, ...]
    sql: str
    uses: tuple[TableKey, ...] | None = ()
    name_at: tuple[int, int] = field(default=(0, 0), compare=False, repr=False)
    alters: tuple[str, ...] = ()
    owned_by: tuple[str | None, str, str] | None = None

    @property
    def namespace(self) -> str:
        return "view" if self.kind.endswith("view") else self.kind

    @property
    def key(self) -> ObjectKey:
        return (self.namespace, self.schema, self.name, self.arguments)

    @property
    def title(self) -> str:
        name = f"{self.schema}.{self.name}" if self.schema else self.name
        return (f"{self.kind} {name}({', '.join(self.arguments)})"
                if self.namespace in ("function", "procedure") else f"{self.kind} {name}")

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
        """Extensions, sequences, functions, procedures and views created by raw SQL, in
        creation order."""
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

    def owned_sequences(self, key: TableKey) -> list[OpaqueModel]:
        """The sequences OWNED BY a column of the table ``key``, in creation order."""
        return [o for o in self._objects.values() if o.namespace == "sequence"
                and o.owned_by is not None and self.same_table(o.owned_by[:2], key)]

    def table_gone(self, key: TableKey, renamed_to: TableKey | None) -> None:
        """The table ``key`` was dropped (the database drops the sequences its columns own)
        or renamed to ``renamed_to`` (they stay, owned by the renamed table)."""
        for item in self.owned_sequences(key):
            assert item.owned_by is not None
            if renamed_to is None:
                self.remove_object(item)
            else:
                self.put_object(replace(item, owned_by=(*renamed_to, item.owned_by[2])))

    def columns_changed(self, key: TableKey, columns: Collection[str], title: str) -> None:
        """The table ``key`` now has only ``columns``: a sequence owned by a column it no
        longer has is dropped by the database (a dropped column) or kept (a renamed one);
        the model cannot tell which, so it lets go of it and says so."""
        gone = [o for o in self.owned_sequences(key)
                if o.owned_by is not None and o.owned_by[2] not in columns]
        for item in gone:
            assert item.owned_by is not None
            self.remove_object(item)
            self.mark_incomplete(f"column {item.owned_by[2]} of {title} was dropped or "
                                 f"renamed, and {item.title} is OWNED BY it; the model no "
                                 "longer holds it")
