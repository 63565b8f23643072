"""Files of the project's `.sqlcompile_cache/` folder: whole blobs a run reads once and
replaces once, each checked before it is trusted.

A file holds plain data (what :mod:`marshal` writes: str, bytes, numbers, tuples, lists, dicts),
never code or pickles, under a key naming everything it was made from. Reading gives None for
a missing file, another key (a stale file: another tool version, other settings), or a file
that is truncated or corrupt (its length or BLAKE2 digest does not match): the caller then
rebuilds what it holds. Writing goes through a temporary file and a rename, so a reader never
sees half a file, and two runs at once leave one of their files whole. A folder that cannot
be written (a read-only checkout) only means nothing is kept.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path
from typing import Any

#: The folder, under the project root.
CACHE_DIR = ".sqlcompile_cache"
_MAGIC = b"sqlcompile cache 1\n"
_IGNORE = "# written by sqlcompile: a cache, never commit it\n*\n"
_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
        "# sqlcompile's cache (see https://bford.info/cachedir/)\n")


def cache_dir(root: Path) -> Path:
    return root / CACHE_DIR


def digest(*parts: str | bytes) -> str:
    """A short hex digest of ``parts`` (each length-prefixed, so no two lists collide)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def read(path: Path, key: str) -> Any | None:
    """The value stored at ``path`` under ``key``; None when missing, stale or damaged."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    head = _MAGIC + key.encode() + b"\n"
    if not blob.startswith(head) or len(blob) < len(head) + 24:
        return None
    at = len(head)
    check, size = blob[at:at + 16], int.from_bytes(blob[at + 16:at + 24], "little")
    payload = blob[at + 24:]
    if len(payload) != size or hashlib.blake2b(payload, digest_size=16).digest() != check:
        return None
    try:
        return marshal.loads(payload)
    except (EOFError, ValueError, TypeError):
        return None


def write(path: Path, key: str, value: Any) -> bool:
    """Store ``value`` at ``path`` under ``key`` (atomically); False if it could not be."""
    try:
        payload = marshal.dumps(value)
    except ValueError:  # not plain data: a bug in the caller, but never worth a failed run
        return False
    blob = (_MAGIC + key.encode() + b"\n" + hashlib.blake2b(payload, digest_size=16).digest()
            + len(payload).to_bytes(8, "little") + payload)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _prepare(path.parent)
        with open(tmp, "wb") as handle:
            handle.write(blob)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return False
    return True


def _prepare(folder: Path) -> None:
    """Create the folder (and the cache root above it) with a `.gitignore` that ignores
    everything in it, so it is never committed, and a CACHEDIR.TAG for backup tools."""
    if folder.is_dir():
        return
    root = folder
    while root.name != CACHE_DIR and root.parent != root:
        root = root.parent
    folder.mkdir(parents=True, exist_ok=True)
    if root.name == CACHE_DIR:
        for name, text in ((".gitignore", _IGNORE), ("CACHEDIR.TAG", _TAG)):
            target = root / name
            if not target.exists():
                target.write_text(text, encoding="utf-8")
