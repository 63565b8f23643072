"""Both sides of an offline comparison at once: on a large project, the history is replayed
in a forked worker while this process imports the models, which take about as long.

The worker sends back the schema model as a pickle; anything that goes wrong there (a script
that fails, a type that does not pickle) only means the history is replayed again here, where
its errors are raised as they always are. The result is the model a replay here would give.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sqlcompile import parallel

if TYPE_CHECKING:
    from sqlcompile.dialects.base import DialectSupport
    from sqlcompile.pipeline.render import Project
    from sqlcompile.schema.model import Schema

T = TypeVar("T")

#: Below this much script source the history replays in less time than the worker costs
#: (starting it, and sending the model back: about 0.1 ms per table).
MIN_SOURCE_BYTES = 256_000
#: What stays in this process: the dialect (the model of the worker is read into a model for
#: the same dialect here).
_LOCAL = ("dialect",)


def worth_a_worker(project: Project) -> bool:
    """Whether the history is large enough to replay beside the models' import, a second
    process is allowed (SQLCOMPILE_JOBS=1 keeps everything here; 2 or more asks for the
    worker) and, unless asked for, a core is free for it (the worker costs some CPU time: on
    a busy machine the two would only take turns)."""
    size = 0
    for script in project.graph.scripts.values():
        try:
            size += script.path.stat().st_size
        except OSError:
            pass
    if size < MIN_SOURCE_BYTES or parallel.jobs(parallel.THRESHOLD) < 2:
        return False
    if os.environ.get("SQLCOMPILE_JOBS"):
        return True
    try:
        busy = os.getloadavg()[0]
    except OSError:  # (not known here)
        return True
    return busy <= (os.cpu_count() or 1) - 1


def models_and_history(project: Project, dialect: DialectSupport,
                       models: Callable[[], T]) -> tuple[T, Schema]:
    """``models()`` run here while a forked worker replays the history (the model at every
    head); an error of ``models()`` is raised as it is, the worker's work then dropped."""

    def work(index: int) -> T | bytes | None:
        if index == 0:
            return models()
        try:
            schema = project.schema_at(dialect)
            state = {k: v for k, v in vars(schema).items() if k not in _LOCAL}
            return pickle.dumps(state, pickle.HIGHEST_PROTOCOL)
        except BaseException:  # replayed again in the parent, which reports it
            return None

    target, blob = parallel.run_chunks(work, 2)
    current = _unpickled(blob, dialect) if isinstance(blob, bytes) else None
    if current is None:
        current = project.schema_at(dialect)
    return target, current  # type: ignore[return-value]


def _unpickled(blob: bytes, dialect: DialectSupport) -> Schema | None:
    from sqlcompile.schema.model import Schema

    try:
        state = pickle.loads(blob)
    except Exception:
        return None
    schema = Schema(dialect)
    if not isinstance(state, dict) or set(state) != set(vars(schema)) - set(_LOCAL):
        return None  # (not a model of this version: cannot happen after a fork)
    vars(schema).update(state)
    return schema
