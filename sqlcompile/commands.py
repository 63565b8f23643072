"""Commands besides render/check: init, revision, merge, history, heads, show, schema."""

from __future__ import annotations

import ast
import copy
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sqlcompile.clisupport import handle_errors, project
from sqlcompile.errors import Findings, one_line

if TYPE_CHECKING:
    from sqlcompile.config import Config
    from sqlcompile.pipeline.render import Project
    from sqlcompile.sources.graph import RevisionGraph

TEMPLATE_NAME = "script.py.j2"

#: What a docstring holds as an escape, and not as itself: the backslash, a quote that a quote
#: (or the end of the text) follows, so that no run of three can close the docstring, and the
#: characters Python's tokenizer or an editor does not keep as they are (control characters,
#: CR, which reads back as LF, lone surrogates, which UTF-8 cannot encode, and the invisible
#: separators and bidirectional controls). LF stays a line break; tab stays a tab.
_DOC_ESCAPED = re.compile(
    r"[\\\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
    r"\u2066-\u2069\ufeff\ud800-\udfff]|([\"'])(?=\1|\Z)"
)
_SHORT_ESCAPES = {"\\": "\\\\", "\r": "\\r", '"': '\\"', "'": "\\'"}
#: The names the template assigns at module level: their values are checked after rendering.
ASSIGNED = ("revision", "down_revision", "branch_labels", "depends_on")
#: What the harmless rendering (see :func:`verify_script`) puts where a value goes.
PLACEHOLDER = "sqlcompile_placeholder_"


class ScriptTemplateBug(RuntimeError):
    """The script rendered from the template does not hold the values it was given: a bug in
    the escaping (or a template that puts a value where no escaping applies), never written."""


def _doc_escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def docstring_text(value: str) -> str:
    """``value`` as it goes between the triple quotes of a (non-raw) docstring, in either quote
    style: the docstring reads back as ``value``, LF stays a line break."""
    return _DOC_ESCAPED.sub(_doc_escape, value)



def _templates(config_dir: Path | None = None) -> Any:
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if config_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(config_dir)))
    loaders.append(jinja2.PackageLoader("sqlcompile", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders), keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False,
    )
    env.filters["pyrepr"] = repr
    return env


def check_new_ids(revision: str | None, branch_labels: Iterable[str] = (),
                  graph: RevisionGraph | None = None) -> None:
    """Refuse a new revision id (None: a random one, nothing to check) or branch label that
    could not be loaded back (see :func:`sqlcompile.sources.graph.id_problem`), and, with
    ``graph``, one the history holds already (ids compared as a case- and accent-insensitive
    collation compares them)."""
    from sqlcompile.errors import SqlcompileError
    from sqlcompile.pipeline.plan import VERSION_LENGTH
    from sqlcompile.sources.graph import ID_RULE, assignment_line, folded_id, id_problem

    problem = None if revision is None else id_problem(revision)
    if problem is None and revision is not None and len(revision) > VERSION_LENGTH:
        problem = f"is longer than the version table's {VERSION_LENGTH} characters"
    if problem is not None:
        raise SqlcompileError(f"--rev-id {revision!r} {problem}; nothing was written",
                              hint=f"{ID_RULE}; at most {VERSION_LENGTH} characters")
    for label in branch_labels:
        problem = id_problem(label)
        if problem is not None:
            raise SqlcompileError(f"--branch-label {label!r} {problem}; nothing was written",
                                  hint=ID_RULE)
    if graph is None:
        return
    folded = None if revision is None else folded_id(revision)
    for script in graph.scripts.values():
        if folded_id(script.revision) == folded:
            line = assignment_line(script.path, "revision")
            where = f"{script.rel_path}:{line}" if line else script.rel_path
            same = ("" if script.revision == revision
                    else " when case and accents are ignored, as MySQL, MariaDB and SQL Server "
                         "version tables compare them")
            raise SqlcompileError(
                f"--rev-id {revision!r} already exists as {script.revision!r} in "
                f"{where}{same}; nothing was written",
                hint="choose another --rev-id, or leave it out for a random one")
    for label in branch_labels:
        if label in graph.labels:
            raise SqlcompileError(
                f"--branch-label {label!r} is already the label of {graph.labels[label]}; "
                "nothing was written", hint="choose another branch label")


def _context(message: str, revision: str, down_revision: str | tuple[str, ...] | None,
             branch_labels: tuple[str, ...] | None, depends_on: tuple[str, ...] | None,
             upgrade_body: str, downgrade_body: str, imports: list[str]) -> dict[str, Any]:
    """The template's variables. ``message`` and ``down_revision_text`` go into the docstring,
    escaped for it (:func:`docstring_text`); the template writes the others with `pyrepr`."""
    return {
        "message": docstring_text(message),
        "revision": revision,
        "down_revision": down_revision,
        "down_revision_text": docstring_text(_parents_text(down_revision)),
        "branch_labels": branch_labels,
        "depends_on": depends_on,
        "upgrade_body": upgrade_body,
        "downgrade_body": downgrade_body,
        "imports": imports,
    }


def _parents_text(down_revision: str | tuple[str, ...] | None) -> str:
    """The parents as the docstring's `Revises:` line shows them."""
    parents = (down_revision,) if isinstance(down_revision, str) else (down_revision or ())
    return ", ".join(parents) or "(none)"


def _placeholders(name: str, value: str | tuple[str, ...] | None) -> str | tuple[str, ...] | None:
    """A value of the same shape as ``value`` (None, a string, a tuple as long) that needs no
    escaping anywhere."""
    if value is None:
        return None
    if isinstance(value, str):
        return f"{PLACEHOLDER}{name}"
    return tuple(f"{PLACEHOLDER}{name}_{i}" for i in range(len(value)))


def _skeleton(tree: ast.Module) -> str:
    """What the module does when it is loaded, with the values put aside: its docstring, the
    values of :data:`ASSIGNED` and the bodies of its functions (only called when a migration
    runs) replaced by the same constants."""
    body: list[ast.stmt] = []
    for index, node in enumerate(tree.body):
        if (index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)):
            node = ast.Expr(ast.Constant("docstring"))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node = copy.copy(node)
            node.body = [ast.Pass()]
        elif (isinstance(node, ast.Assign | ast.AnnAssign)
              and _assigned(node)[0] in ASSIGNED):
            node = copy.copy(node)
            node.value = ast.Constant(None)
        body.append(node)
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def _assigned(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    """The name a module-level `NAME = value` or `NAME: T = value` assigns, and the value
    (None, None: another statement)."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target: ast.expr = node.targets[0]
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        target = node.target
    else:
        return None, None
    return (target.id, node.value) if isinstance(target, ast.Name) else (None, None)


_UNREADABLE = object()


def _assigned_values(tree: ast.Module) -> dict[str, Any]:
    """The literal values the module assigns to the names of :data:`ASSIGNED` (the last
    assignment of each; :data:`_UNREADABLE` when it is not a literal)."""
    values: dict[str, Any] = {}
    for node in tree.body:
        name, value = _assigned(node)
        if name in ASSIGNED and value is not None:
            try:
                values[name] = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                values[name] = _UNREADABLE
    return values


def verify_script(text: str, reference: str, values: dict[str, Any],
                  placeholders: dict[str, Any], imports: list[str], template: str) -> None:
    """Check that a rendered script holds what it was given and runs nothing else.

    ``reference`` is the same template rendered with :func:`_placeholders` (values that need
    no escaping). The script must parse; its module-level code (see :func:`_skeleton`) must be
    the reference's; each name of :data:`ASSIGNED` that the template writes as given must hold
    exactly its value; the docstring must be the reference's with each placeholder read as its
    value; each import line must be one import. A template that does not render Python is the
    user's error; anything else is :class:`ScriptTemplateBug`.
    """
    from sqlcompile.errors import SqlcompileError

    try:
        expected_tree = ast.parse(reference)
    except SyntaxError as exc:
        raise SqlcompileError(f"the script template does not render valid Python: {exc.msg} "
                              f"(line {exc.lineno} of the script)", path=template,
                              hint="fix the template, or remove it to use the packaged one"
                              ) from None
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError) as exc:
        raise ScriptTemplateBug(f"the new script does not parse ({exc}), though the template "
                                "renders Python for harmless values: an escaping bug") from None
    if _skeleton(tree) != _skeleton(expected_tree):
        raise ScriptTemplateBug("the new script's module-level code is not what the template "
                                "writes for harmless values: a value escaped its context")
    written = _assigned_values(tree)
    for name, value in _assigned_values(expected_tree).items():
        if value == placeholders[name] and written.get(name, _UNREADABLE) != values[name]:
            raise ScriptTemplateBug(f"the new script's `{name}` is {written.get(name)!r}, "
                                    f"not {values[name]!r}")
    expected_doc = ast.get_docstring(expected_tree, clean=False)
    if expected_doc is not None:
        tokens = {placeholders[name]: value for name, value in values.items()
                  if isinstance(placeholders.get(name), str) and placeholders[name] != value}
        doc = expected_doc
        if tokens:
            pattern = re.compile("|".join(map(re.escape, sorted(tokens, key=len, reverse=True))))
            doc = pattern.sub(lambda match: str(tokens[match.group(0)]), expected_doc)
        if ast.get_docstring(tree, clean=False) != doc:
            raise ScriptTemplateBug("the new script's docstring does not read back as the "
                                    "message and ids it was given")
    for line in imports:
        try:
            nodes = ast.parse(line).body
        except SyntaxError:
            nodes = []
        if len(nodes) != 1 or not isinstance(nodes[0], ast.Import | ast.ImportFrom):
            raise ScriptTemplateBug(f"the import line {line!r} is not one import statement")


def script_text(
    config: Config,
    message: str,
    down_revision: str | tuple[str, ...] | None,
    *,
    rev_id: str | None = None,
    branch_labels: tuple[str, ...] | None = None,
    depends_on: tuple[str, ...] | None = None,
    upgrade_body: str = "",
    downgrade_body: str = "",
    imports: list[str] | None = None,
) -> tuple[Path, str]:
    """Where a new migration script goes and its text, from the project's (or the packaged)
    template; every value is escaped for where the template puts it, and the result is checked
    (:func:`verify_script`) before anything is written."""
    from sqlcompile.errors import SqlcompileError
    from sqlcompile.pipeline.output import slug

    revision = rev_id or secrets.token_hex(6)
    check_new_ids(revision, branch_labels or ())
    labels = tuple(branch_labels) if branch_labels else None
    depends = tuple(depends_on) if depends_on else None
    values: dict[str, Any] = {"message": message, "revision": revision,
                              "down_revision": down_revision, "branch_labels": labels,
                              "depends_on": depends}
    placeholders: dict[str, Any] = {name: _placeholders(name, value)
                                    for name, value in values.items()}
    values["down_revision_text"] = _parents_text(down_revision)
    placeholders["down_revision_text"] = _parents_text(placeholders["down_revision"])
    import jinja2

    own = config.root / config.script_location / TEMPLATE_NAME
    try:
        template = _templates(own.parent).get_template(TEMPLATE_NAME)
        text = template.render(**_context(message, revision, down_revision, labels, depends,
                                          upgrade_body, downgrade_body, imports or []))
        reference = template.render(**_context(
            placeholders["message"], placeholders["revision"], placeholders["down_revision"],
            placeholders["branch_labels"], placeholders["depends_on"],
            upgrade_body and "    pass", downgrade_body and "    pass", imports or []))
    except jinja2.TemplateError as exc:  # the project's template (the packaged one renders)
        raise SqlcompileError(f"the script template cannot be rendered: {exc.message or exc}",
                              path=(own.relative_to(config.root) if own.is_relative_to(
                                  config.root) else own).as_posix(),
                              line=getattr(exc, "lineno", None),
                              hint="fix the template, or remove it to use the packaged one"
                              ) from None
    shown = Path(template.filename or TEMPLATE_NAME)
    verify_script(text, reference, values, placeholders, imports or [],
                  shown.relative_to(config.root).as_posix() if shown.is_relative_to(config.root)
                  else shown.as_posix())
    path = config.scripts_dir / f"{revision}_{slug(message)}.py"
    if path.exists():
        raise SqlcompileError(f"{path} already exists", hint="choose another --rev-id")
    return path, text


def write_script(config: Config, message: str, down_revision: str | tuple[str, ...] | None,
                 **kw: Any) -> Path:
    """Write a new migration script (see :func:`script_text`)."""
    from sqlcompile.pipeline.output import write_atomic

    path, text = script_text(config, message, down_revision, **kw)
    write_atomic(path, text)
    return path


def _describe(graph: RevisionGraph, rev: str) -> str:
    script = graph.scripts[rev]
    tags = []
    if not graph.children[rev]:
        tags.append("head")
    if len(graph.children[rev]) > 1:
        tags.append("branchpoint")
    if script.is_merge:
        tags.append("mergepoint")
    if script.branch_labels:
        tags.append("labels: " + ", ".join(script.branch_labels))
    parents = ", ".join(script.down_revisions) or "<base>"
    suffix = f" ({'; '.join(tags)})" if tags else ""
    return f"{graph.position[rev]:04d} {parents} -> {rev}{suffix}: {one_line(script.message)}"


def _autogenerate(proj: Project, message: str, parent: str | None, *, rev_id: str | None,
                  branch_labels: tuple[str, ...], depends_on: tuple[str, ...],
                  against: str | None, dialect: str | None, renames: tuple[str, ...],
                  allow_empty: bool) -> None:
    """`revision --autogenerate`: compare, report on stderr, write the script (or nothing)."""
    from sqlcompile.autogen.compare import Renames
    from sqlcompile.autogen.generate import autogenerate, self_check
    from sqlcompile.config import coerce_setting
    from sqlcompile.dialects import get_dialect
    from sqlcompile.errors import SqlcompileError
    from sqlcompile.pipeline.output import write_atomic

    if dialect:
        name = coerce_setting("dialects", [dialect], "--dialect")[0]
    elif against:
        from sqlcompile.autogen.reflect import url_dialect

        name = url_dialect(against)
    else:
        name = proj.config.dialects[0]
    if parent is not None and proj.graph.heads() != [parent]:
        raise SqlcompileError("autogenerate compares with the schema at every head; the new "
                              f"revision would follow {parent} only",
                              hint="merge the heads first (sqlcompile merge heads)")
    result = autogenerate(proj, get_dialect(name), against=against,
                          renames=Renames.parse(renames))
    click.echo(f"compared the models with {result.against} ({result.dialect.title}):", err=True)
    for line in result.report_lines():
        click.echo(line, err=True)
    if result.diff.empty and not allow_empty:
        click.echo("no differences: no script written (--allow-empty writes one anyway)",
                   err=True)
        return
    path, text = script_text(
        proj.config, message, parent, rev_id=rev_id, branch_labels=branch_labels,
        depends_on=depends_on, upgrade_body=result.upgrade_body(),
        downgrade_body=result.downgrade_body(), imports=result.diff.imports.sorted())
    problems = self_check(text, path.name, proj, result)
    write_atomic(path, text)
    shown = path.relative_to(proj.config.root).as_posix()
    for problem in problems:
        click.echo(f"warning: {shown}: {problem}", err=True)
    if problems:
        click.echo("warning: the script does not fully match the models (see above); please "
                   "review it and report the case", err=True)
    click.echo(f"created {shown} ({len(result.diff.changes)} change(s))")


@click.command("schema")
@click.option("--dialect", help="Target dialect (default: the first configured).")
@click.option("--at", "at", default="heads",
              help="Revision (id, prefix, label, head, heads; default: heads).")
@click.pass_context
@handle_errors
def schema_command(ctx: click.Context, dialect: str | None, at: str) -> None:
    """Print the schema at a revision as DDL, from the schema model (no database)."""
    import sys

    from sqlcompile.config import coerce_setting
    from sqlcompile.pipeline.render import render_schema

    proj = project(ctx)
    name = (coerce_setting("dialects", [dialect], "--dialect")[0] if dialect
            else proj.config.dialects[0])
    revisions = proj.graph.resolve(at)
    everything = set(revisions) == set(proj.graph.heads())
    shown = ", ".join(revisions) or "nothing applied"
    description = at if shown == at else f"{at} ({shown})"
    if everything:  # the same bytes as the schema.sql that render writes
        result = render_schema(proj, name)
    else:
        result = render_schema(proj, name, revisions, description)
    for problem in result.report.errors:
        click.echo(f"statement failed validation ({problem.detail}): {problem.sql}",
                   err=True)
    if result.report.errors:
        raise Findings()  # printed above
    sys.stdout.buffer.write(next(iter(result.files.values())).encode("utf-8"))
    sys.stdout.flush()


@click.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@click.option("--dialect", "dialects", multiple=True, help="Target dialect(s).")
@click.option("--from-alembic", "from_alembic", is_flag=False, flag_value=".", default=None,
              metavar="[DIR]", help="Write the sqlcompile.toml equivalent to the Alembic "
                                    "project in DIR (the folder holding alembic.ini; default: "
                                    "DIRECTORY); its scripts stay where they are.")
@handle_errors
def init_command(directory: str, dialects: tuple[str, ...], from_alembic: str | None) -> None:
    """Create sqlcompile.toml, migrations/ with a script template, and sql_out/; or, with
    --from-alembic, only the sqlcompile.toml that reads an Alembic project as it is."""
    from sqlcompile.config import CONFIG_FILE, coerce_setting
    from sqlcompile.dialects import DEFAULT_DIALECT
    from sqlcompile.errors import SqlcompileError
    from sqlcompile.pipeline.output import write_atomic

    if from_alembic is not None:
        _init_from_alembic(directory, from_alembic, dialects)
        return
    root = Path(directory)
    config_path = root / CONFIG_FILE
    if config_path.exists():
        raise SqlcompileError(f"{config_path} already exists; nothing was changed")
    chosen = list(coerce_setting("dialects", list(dialects) or [DEFAULT_DIALECT], "--dialect"))
    env = _templates()
    template = env.loader.get_source(env, TEMPLATE_NAME)[0]
    (root / "migrations" / "versions").mkdir(parents=True, exist_ok=True)
    (root / "sql_out").mkdir(parents=True, exist_ok=True)
    write_atomic(root / "migrations" / TEMPLATE_NAME, template)
    rendered = env.get_template("sqlcompile.toml.j2").render(
        dialects="[" + ", ".join(f'"{d}"' for d in chosen) + "]"
    )
    write_atomic(config_path, rendered)
    click.echo(f"created {config_path}, {root / 'migrations'}, {root / 'sql_out'}")


def _init_from_alembic(directory: str, from_alembic: str, dialects: tuple[str, ...]) -> None:
    from sqlcompile.adopt import adopt

    if "." not in (directory, from_alembic) and Path(directory) != Path(from_alembic):
        raise click.UsageError("give the Alembic folder once: as DIRECTORY or after "
                               "--from-alembic")
    root = Path(from_alembic if from_alembic != "." else directory)
    path, adopted = adopt(root, dialects)
    for line in adopted.read:
        click.echo(f"read: {line}", err=True)
    for line in adopted.notes:
        click.echo(f"note: {line}", err=True)
    click.echo(f"created {path}")


@click.command("revision")
@click.option("-m", "--message", required=True, help="What the revision does.")
@click.option("--head", "head", help="Parent revision (default: the single head).")
@click.option("--rev-id", help="Revision id to use instead of a random one.")
@click.option("--branch-label", "branch_labels", multiple=True)
@click.option("--depends-on", "depends_on", multiple=True)
@click.option("--autogenerate", is_flag=True,
              help="Fill the script with what the models (target_metadata) add or change "
                   "compared with the history's schema.")
@click.option("--against", metavar="URL",
              help="With --autogenerate: compare with this live database instead.")
@click.option("--dialect", help="With --autogenerate: the dialect to compare for (default: "
                                "the first configured; with --against, the URL's).")
@click.option("--rename", "renames", multiple=True, metavar="[TABLE.]OLD=NEW",
              help="With --autogenerate: a column (TABLE.OLD=NEW) or table (OLD=NEW) was "
                   "renamed, not dropped and added (repeatable).")
@click.option("--allow-empty", is_flag=True,
              help="With --autogenerate: write a script even when nothing differs.")
@click.option("--no-cache", is_flag=True,
              help="Replay the history again, neither reading nor updating .sqlcompile_cache/.")
@click.pass_context
@handle_errors
def revision_command(ctx: click.Context, message: str, head: str | None, rev_id: str | None,
             branch_labels: tuple[str, ...], depends_on: tuple[str, ...],
             autogenerate: bool, against: str | None, dialect: str | None,
             renames: tuple[str, ...], allow_empty: bool, no_cache: bool) -> None:
    """Create a new migration script on the current head (empty, or with --autogenerate
    the changes that bring the history to the models)."""
    from sqlcompile.errors import SqlcompileError

    proj = project(ctx, use_cache=not no_cache)
    graph = proj.graph
    if head:
        parents = graph.resolve(head)
        parent: str | None = parents[0] if len(parents) == 1 else None
        if len(parents) > 1:
            parent = graph.single_head("revision --head")
    else:
        parent = graph.single_head("a new revision") if graph.order else None
    check_new_ids(rev_id, branch_labels, graph)
    if not autogenerate:
        if against or dialect or renames or allow_empty:
            raise SqlcompileError("--against, --dialect, --rename and --allow-empty only "
                                  "apply with --autogenerate")
        path = write_script(proj.config, message, parent, rev_id=rev_id,
                            branch_labels=branch_labels, depends_on=depends_on)
        click.echo(f"created {path.relative_to(proj.config.root).as_posix()}")
        return
    _autogenerate(proj, message, parent, rev_id=rev_id, branch_labels=branch_labels,
                  depends_on=depends_on, against=against, dialect=dialect,
                  renames=renames, allow_empty=allow_empty)


@click.command("merge")
@click.argument("revisions", nargs=-1, required=True)
@click.option("-m", "--message", required=True)
@click.option("--rev-id", help="Revision id to use instead of a random one.")
@click.pass_context
@handle_errors
def merge_command(ctx: click.Context, revisions: tuple[str, ...], message: str,
          rev_id: str | None) -> None:
    """Create a merge revision joining REVISIONS (e.g. `heads`)."""
    from sqlcompile.errors import GraphError

    proj = project(ctx)
    parents = sorted({rev for ref in revisions for rev in proj.graph.resolve(ref)})
    if len(parents) < 2:
        raise GraphError(f"a merge needs at least two revisions, got {parents or 'none'}",
                         hint="name two heads, or `heads`")
    check_new_ids(rev_id, (), proj.graph)
    path = write_script(proj.config, message, tuple(parents), rev_id=rev_id)
    click.echo(f"created {path.relative_to(proj.config.root).as_posix()}")


@click.command("history")
@click.pass_context
@handle_errors
def history_command(ctx: click.Context) -> None:
    """List revisions, newest first: position, parents -> revision, message."""
    graph = project(ctx).graph
    for rev in reversed(graph.order):
        click.echo(_describe(graph, rev))


@click.command("heads")
@click.pass_context
@handle_errors
def heads_command(ctx: click.Context) -> None:
    """List the head revisions."""
    graph = project(ctx).graph
    for rev in graph.heads():
        click.echo(_describe(graph, rev))


@click.command("show")
@click.argument("rev")
@click.pass_context
@handle_errors
def show_command(ctx: click.Context, rev: str) -> None:
    """Show one revision: ids, parents, children, file, message and docstring."""
    from sqlcompile.errors import GraphError

    graph = project(ctx).graph
    revs = graph.resolve(rev)
    if not revs:
        raise GraphError(f"{rev!r} names no revision")
    for name in revs:
        script = graph.scripts[name]
        click.echo(f"Revision:     {name}  ({graph.position[name]} of {len(graph.order)})")
        click.echo(f"Parents:      {', '.join(script.down_revisions) or '<base>'}")
        click.echo(f"Children:     {', '.join(graph.children[name]) or '<head>'}")
        if script.branch_labels:
            click.echo(f"Branch labels: {', '.join(script.branch_labels)}")
        if script.depends_on:
            click.echo(f"Depends on:   {', '.join(script.depends_on)}")
        click.echo(f"Path:         {script.rel_path}")
        click.echo(f"sha256:       {script.sha256}")
        doc = (script.docstring or script.message).strip()
        click.echo("")
        click.echo("    " + "\n    ".join(one_line(line) for line in doc.split("\n")))


#: The commands of this module (cli.py adds them to the group).
COMMANDS = (init_command, revision_command, merge_command, history_command, heads_command,
            show_command, schema_command)
