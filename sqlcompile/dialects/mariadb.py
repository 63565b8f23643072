"""MariaDB 10.6+: the `mariadb` target, defined beside MySQL in :mod:`sqlcompile.dialects.mysql`."""

from __future__ import annotations

from sqlcompile.dialects.mysql import MARIADB

DIALECT = MARIADB
