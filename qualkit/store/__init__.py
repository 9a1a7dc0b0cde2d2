"""Persistence: one database per project, reached only through :class:`Store`.

Schema and migrations, the queries by family (transcripts, coding, suggestions, spans,
learned) that :class:`Store` joins, and where the database is (a SQLite file, or a
PostgreSQL server with a team's roles); nothing here imports from the packages above it.
"""

from qualkit.store.db import Store, open_store

__all__ = ["Store", "open_store"]
