"""Region names as they are typed in: an unknown or misspelt one is an error naming the known ones."""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from models.errors import KoppelaarError


class UnknownRegionError(KoppelaarError):
    """A region name that no stored candidate is in."""


def check_region(region: str, known: Sequence[str], *, what: str = "--region") -> str:
    """``region`` (trimmed) when it is one of ``known``, else an :class:`UnknownRegionError` naming them.

    The known regions are those the stored candidates are in: a region without candidates would
    only ever give an empty result.
    """
    name = region.strip()
    if name in known:
        return name
    if not known:
        raise UnknownRegionError(
            f"{what} {region!r} is not a known region: no stored candidate names a region yet; "
            "import the candidates first (koppelaar import)"
        )
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6) or [
        k for k in known if k.casefold() == name.casefold()
    ]
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownRegionError(
        f"{what} {region!r} is not a known region{hint}: the stored candidates are in {', '.join(known)}"
    )


__all__ = ["UnknownRegionError", "check_region"]
