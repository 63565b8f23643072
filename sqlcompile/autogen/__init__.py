"""Autogenerate: compare SQLAlchemy models with the schema the history produces (or a live
database) and write the migration script that closes the gap."""
