"""Settings: where they are read from, defaults, environments and their overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from sqlcompile.config import Config, load_config
from sqlcompile.errors import ConfigError


def test_defaults_without_a_config_file(tmp_path: Path) -> None:
    config = load_config(cwd=tmp_path)
    assert config.root == tmp_path.resolve() and config.source is None
    assert (config.script_location, config.output_dir) == ("migrations", "sql_out")
    assert config.dialects == ("postgresql",)
    assert config.version_table == "sqlcompile_version"
    assert config.transaction_per_migration is True


def test_sqlcompile_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sqlcompile]\noutput_dir = "from_pyproject"\n')
    assert load_config(cwd=tmp_path).output_dir == "from_pyproject"
    (tmp_path / "sqlcompile.toml").write_text('output_dir = "from_toml"\n')
    assert load_config(cwd=tmp_path).output_dir == "from_toml"


def test_pyproject_without_our_table_is_not_a_config(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(cwd=tmp_path).source is None


def test_environment_overrides_keys(tmp_path: Path) -> None:
    (tmp_path / "sqlcompile.toml").write_text(
        'dialects = ["postgresql", "sqlite"]\n'
        'main_options = { "app.region" = "eu" }\n'
        "[environments.legacy]\n"
        'dialect = "postgresql"\n'
        'version_table = "alembic_version"\n'
        'version_table_schema = "ops"\n'
        'url = "postgresql+psycopg://app@db/app"\n'
    )
    base = load_config(cwd=tmp_path)
    legacy = load_config(env="legacy", cwd=tmp_path)
    assert base.dialects == ("postgresql", "sqlite") and base.env is None
    assert legacy.dialects == ("postgresql",) and legacy.env == "legacy"
    assert (legacy.version_table, legacy.version_table_schema) == ("alembic_version", "ops")
    assert legacy.main_option("sqlalchemy.url") == "postgresql+psycopg://app@db/app"
    assert legacy.main_option("app.region") == "eu"
    assert legacy.main_option("script_location") == "migrations"
    assert legacy.main_option("missing", "fallback") == "fallback"


def test_x_arguments_from_the_command_line_replace_the_setting(tmp_path: Path) -> None:
    (tmp_path / "sqlcompile.toml").write_text('x_arguments = ["a=1"]\n')
    assert load_config(cwd=tmp_path).x_arguments == ("a=1",)
    assert load_config(cwd=tmp_path, x_arguments=("b=2",)).x_arguments == ("b=2",)


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    path = project / "sqlcompile.toml"
    path.write_text('script_location = "db"\noutput_dir = "out"\n')
    config = load_config(path, cwd=tmp_path)
    assert config.scripts_dir == project.resolve() / "db" / "versions"
    assert config.output_path == project.resolve() / "out"
    assert config.hand_written_sql("sqlite", "abc", "upgrade") == (
        project.resolve() / "db" / "sql" / "sqlite" / "abc.upgrade.sql"
    )


@pytest.mark.parametrize(("text", "words"), [
    ('target_metadata = "no_colon"\n', "module:attribute"),
    ('dialects = []\n', "non-empty list"),
    ('main_options = { a = 1 }\n', "table of strings"),
    ("[environments]\nprod = 3\n", "must be a table"),
])
def test_bad_values_name_the_key(tmp_path: Path, text: str, words: str) -> None:
    (tmp_path / "sqlcompile.toml").write_text(text)
    with pytest.raises(ConfigError, match=words):
        load_config(env="prod" if "environments" in text else None, cwd=tmp_path)


def test_config_is_hashable_for_caches() -> None:
    assert hash(Config(root=Path("/x"))) == hash(Config(root=Path("/x")))
