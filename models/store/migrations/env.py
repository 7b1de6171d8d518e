"""Alembic environment: runs on the connection the :class:`~models.store.store.Store` hands over."""

from __future__ import annotations

from alembic import context

from models.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes its connection
    raise RuntimeError("run migrations through `koppelaar db upgrade` (Store.upgrade), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
