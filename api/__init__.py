"""The ways in: the `koppelaar` CLI and the HTTP API (composition root)."""
