"""How `op.<name>(...)` and `batch_op.<name>(...)` call an op class's ``record()``.

Each call is a function with the signature Alembic's method has (``inspect.signature`` shows
it; tests/test_alembic_api.py compares the two). A call whose arguments do not fit, or that
SQLAlchemy refuses while the op is built (a column listed twice in create_table, say), is a
:class:`ScriptError` at the script line, as it is a failure of the script under Alembic too.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sqlcompile.dialects.render import InlineLiteral
from sqlcompile.errors import ScriptError

if TYPE_CHECKING:
    from sqlcompile.ops.base import Op
    from sqlcompile.sources.recorder import Recorder


_SIGNATURES: dict[tuple[object, bool], inspect.Signature] = {}


def record_signature(cls: type[Op]) -> inspect.Signature:
    """The signature of ``cls.record`` without its recorder: the `op.<name>` method's."""
    found = _SIGNATURES.get((cls, False))
    if found is None:
        signature = inspect.signature(cls.record)
        found = signature.replace(parameters=list(signature.parameters.values())[1:])
        _SIGNATURES[(cls, False)] = found
    return found


def batch_signature(cls: type[Op]) -> inspect.Signature:
    """The `batch_op.<name>` method's signature: the op's, without the table the block
    names."""
    found = _SIGNATURES.get((cls, True))
    if found is None:
        position = cls.batch_table_arg
        assert position is not None
        params = list(record_signature(cls).parameters.values())
        del params[position]
        found = _SIGNATURES[(cls, True)] = record_signature(cls).replace(parameters=params)
    return found


def failed_call(recorder: Recorder, label: str, signature: inspect.Signature,
                args: tuple[Any, ...], kw: dict[str, Any], exc: BaseException) -> ScriptError:
    """The error for a call ``label(*args, **kw)`` that the op could not record: arguments
    that do not fit ``signature``, or SQLAlchemy refusing what they say."""
    from sqlcompile.sources.connection import script_line

    line = script_line(recorder.path)
    if isinstance(exc, TypeError):
        try:
            signature.bind(*args, **kw)
            problem = str(exc)
        except TypeError as bind_error:
            problem = str(bind_error)
        plain = signature.replace(
            parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
            return_annotation=signature.empty)
        return ScriptError(f"{label}{plain}: {problem}", path=recorder.rel_path, line=line,
                           hint="call it as Alembic's method of that name is called")
    return ScriptError(f"{label}(): SQLAlchemy refuses it: {type(exc).__name__}: {exc}",
                       path=recorder.rel_path, line=line,
                       hint="Alembic fails on this call too; fix the script")


def fits(signature: inspect.Signature, args: tuple[Any, ...], kw: dict[str, Any]) -> bool:
    """Whether ``args`` and ``kw`` bind to ``signature``."""
    try:
        signature.bind(*args, **kw)
    except TypeError:
        return False
    return True


def op_function(recorder: Recorder, label: str, signature: inspect.Signature,
                call: Callable[..., Any]) -> Callable[..., Any]:
    """``call`` as the method ``label`` (e.g. `op.add_column`) with ``signature``."""

    def method(*args: Any, **kw: Any) -> Any:
        try:
            return call(*args, **kw)
        except TypeError as exc:
            if not fits(signature, args, kw):  # else raised inside, by what the op ran
                raise failed_call(recorder, label, signature, args, kw, exc) from None
            raise
        except sa.exc.SQLAlchemyError as exc:
            raise failed_call(recorder, label, signature, args, kw, exc) from None

    method.__signature__ = signature  # type: ignore[attr-defined]
    method.__name__ = method.__qualname__ = label.rpartition(".")[2]
    return method


def inline_literal(value: Any, type_: Any = None) -> InlineLiteral:
    """A value rendered inline as a literal in the compiled SQL."""
    return InlineLiteral(None, value, type_=type_, required=True)
