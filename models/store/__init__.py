"""Persistence: the SQLAlchemy store (SQLite by default, PostgreSQL by URL) and its migrations."""

from __future__ import annotations

from models.store.store import FileChange, Store, StoreError

__all__ = ["FileChange", "Store", "StoreError"]
