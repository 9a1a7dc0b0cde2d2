"""Persistence: one database per project, reached only through :class:`Store`.

Schema and migrations, and the queries by family (transcripts, coding, suggestions) that
:class:`Store` joins; nothing here imports from the packages above it.
"""

from qualkit.store.db import Store, open_store

__all__ = ["Store", "open_store"]
