"""``python -m api.cli``: the same as the ``koppelaar`` command."""

from api.cli import main

main()
