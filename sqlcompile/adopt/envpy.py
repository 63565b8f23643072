"""env.py read statically (never run): `target_metadata` where it is a plain import, and the
literals given to `context.configure()`."""

from __future__ import annotations

import ast
import configparser
from pathlib import Path
from typing import Any

from sqlcompile.adopt.common import (
    ALEMBIC_VERSION_TABLE,
    INI_FILE,
    MAIN_SECTION,
    Adopted,
    ini_value,
    put,
    rel,
)

#: `context.configure()` keywords that have a setting of the same name, with their type.
_CONFIGURE_KEYS: dict[str, type] = {
    "version_table": str, "version_table_schema": str, "transaction_per_migration": bool,
}


def _chain(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"]; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _is_module(dotted: str, root: Path, sys_paths: list[str]) -> bool:
    """Whether ``dotted`` is a module file under the project (looked up without importing)."""
    relative = Path(*dotted.split("."))
    for base in [root, *(root / entry for entry in sys_paths)]:
        if (base / relative.with_suffix(".py")).is_file() or \
                (base / relative / "__init__.py").is_file():
            return True
    return False


class _EnvReader:
    """Top-level imports and assignments of env.py, enough to name `target_metadata`."""

    def __init__(self, tree: ast.Module, root: Path, sys_paths: list[str]) -> None:
        self.root = root
        self.sys_paths = sys_paths
        self.names: dict[str, list[str]] = {}   # bound name -> dotted path it stands for
        self.modules: set[str] = set()          # dotted names known to be modules
        self.values: dict[str, ast.expr] = {}   # name -> last top-level value assigned
        self.target: ast.expr | None = None
        self.target_line = 0
        for node in tree.body:
            self._visit(node)

    def _visit(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.modules.add(alias.name)
                if alias.asname:
                    self.names[alias.asname] = alias.name.split(".")
                else:
                    head = alias.name.split(".")[0]
                    self.names[head] = [head]
                    self.modules.add(head)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                bound = alias.asname or alias.name
                if node.level or not node.module or alias.name == "*":
                    self.names.pop(bound, None)
                    continue
                self.modules.add(node.module)
                self.names[bound] = [*node.module.split("."), alias.name]
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    self.values[target.id] = node.value
                    self.names.pop(target.id, None)
                    if target.id == "target_metadata":
                        self.target, self.target_line = node.value, node.lineno
        elif isinstance(node, ast.If | ast.Try):
            for child in [*node.body, *getattr(node, "orelse", [])]:
                self._visit(child)

    def spec(self, node: ast.expr, depth: int = 0) -> str | None:
        """``module:attribute`` that ``node`` reads, where it is a plain import."""
        parts = _chain(node)
        if parts is None or depth > 10:
            return None
        head = parts[0]
        if head in self.names:
            dotted = [*self.names[head], *parts[1:]]
        elif head in self.values:
            base = self.spec(self.values[head], depth + 1)
            return None if base is None else ".".join([base, *parts[1:]])
        else:
            return None
        for cut in range(len(dotted) - 1, 0, -1):  # the longest prefix that is a module
            module = ".".join(dotted[:cut])
            if module in self.modules or _is_module(module, self.root, self.sys_paths):
                return f"{module}:{'.'.join(dotted[cut:])}"
        return None


def read_env(adopted: Adopted, env: Path, parser: configparser.ConfigParser,
             ini: Path, sys_paths: list[str]) -> None:
    """Take `target_metadata` and the `context.configure()` literals from env.py."""
    shown = rel(adopted.root, env.as_posix())
    if not env.is_file():
        adopted.notes.append(f"{shown} not found: target_metadata is not set")
        return
    try:
        tree = ast.parse(env.read_bytes(), filename=str(env))
    except (SyntaxError, ValueError) as exc:
        adopted.notes.append(f"{shown} cannot be parsed ({exc}): target_metadata and "
                             "version_table were not read from it")
        return
    reader = _EnvReader(tree, adopted.root, sys_paths)
    if reader.target is None:
        adopted.notes.append(f"{shown}: no target_metadata assignment; set target_metadata "
                             "by hand to compare the models (autogenerate, check)")
    elif isinstance(reader.target, ast.Constant) and reader.target.value is None:
        adopted.notes.append(f"{shown}:{reader.target_line}: target_metadata = None: no "
                             "models to compare; set target_metadata by hand when there are")
    else:
        spec = reader.spec(reader.target)
        if spec is None:
            adopted.notes.append(
                f"{shown}:{reader.target_line}: target_metadata is computed "
                f"({ast.unparse(reader.target)}); set target_metadata = "
                '"module:attribute" in sqlcompile.toml by hand')
        else:
            put(adopted, "target_metadata", spec, f"{shown}:{reader.target_line}")
    _read_configure(adopted, tree, shown, parser, ini)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "set_main_option" and node.args \
                and isinstance(node.args[0], ast.Constant) \
                and node.args[0].value == "sqlalchemy.url":
            adopted.notes.append(f"{shown}:{node.lineno}: env.py sets sqlalchemy.url when it "
                                 "runs; give the dev loop its URL with --url or an environment's "
                                 "url setting")


def _configure_calls(tree: ast.Module) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr == "configure"
            and _chain(node.func.value) in (["context"], ["alembic", "context"])]


def _main_option(node: ast.expr, parser: configparser.ConfigParser, ini: Path) -> Any:
    """The ini value that ``config.get_main_option("KEY"[, DEFAULT])`` reads; raise
    ValueError for anything else."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get_main_option" and node.args and not node.keywords):
        raise ValueError
    key = ast.literal_eval(node.args[0])
    default = ast.literal_eval(node.args[1]) if len(node.args) > 1 else None
    if not isinstance(key, str):
        raise ValueError
    value = ini_value(parser, ini, MAIN_SECTION, key)
    return default if value is None else value


def _read_configure(adopted: Adopted, tree: ast.Module, shown: str,
                    parser: configparser.ConfigParser, ini: Path) -> None:
    found: dict[str, dict[Any, int]] = {}
    computed: dict[str, int] = {}
    for call in _configure_calls(tree):
        for keyword in call.keywords:
            if keyword.arg == "include_schemas":
                adopted.notes.append(f"{shown}:{keyword.value.lineno}: include_schemas is "
                                     "not carried over: sqlcompile has no such setting")
            if keyword.arg not in _CONFIGURE_KEYS:
                continue
            try:
                value = ast.literal_eval(keyword.value)
            except ValueError:
                try:
                    value = _main_option(keyword.value, parser, ini)
                except ValueError:
                    computed.setdefault(keyword.arg, keyword.value.lineno)
                    continue
            if not isinstance(value, _CONFIGURE_KEYS[keyword.arg]):
                computed.setdefault(keyword.arg, keyword.value.lineno)
                continue
            found.setdefault(keyword.arg, {}).setdefault(value, keyword.value.lineno)
    named = ini_value(parser, ini, MAIN_SECTION, "version_table")
    if "version_table" in computed and named:
        # env.py computes it: the ini's value is the best guess (the note asks to check it).
        adopted.settings["version_table"] = named
    for key in _CONFIGURE_KEYS:
        values = found.get(key, {})
        if key in computed or len(values) > 1:
            line = computed.get(key) or min(values.values())
            kept = adopted.settings.get(key)
            adopted.notes.append(
                f"{shown}:{line}: context.configure({key}=...) is computed or differs between "
                "calls; " + (f"{key} = {kept!r} is written: check it" if kept is not None
                             else f"set {key} by hand"))
        elif values:
            [(value, line)] = values.items()
            put(adopted, key, value, f"{shown}:{line}")
    if "version_table" not in found and "version_table" not in computed and named:
        adopted.notes.append(f"{INI_FILE} names a version_table but {shown} passes none to "
                             f"context.configure(), so Alembic uses {ALEMBIC_VERSION_TABLE} and "
                             "so does sqlcompile.toml: change version_table there if your "
                             "databases use the other")
