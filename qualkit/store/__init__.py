"""Persistence: one database per project, reached only through :class:`Store`."""

from qualkit.store.db import Store, open_store

__all__ = ["Store", "open_store"]
