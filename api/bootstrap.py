"""What every way in builds from the settings: loaded once, shared by the CLI and the HTTP API.

A :class:`Runtime` reads the settings (environment or ``.env``) once and builds, on first use and
then kept, what the configuration names: the taxonomy, the postcode table, the valuation schemes,
the scorer of ``KOPPELAAR_MODEL``. :meth:`Runtime.prepare` turns a dataset into the engine's
:class:`~matching.prepare.Prepared` with them. Nothing here reads a terminal or answers a request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar, cast

from api.loaders import read_model, read_postcodes
from api.semantic import semantic_available, semantic_index
from api.settings import Settings, load_settings
from api.taxonomy_io import load_taxonomy
from matching.geo import PostcodeTable
from matching.normalise import Normaliser
from matching.prepare import MatchConfig, Prepared
from matching.scorers import LearnedScorer, Scorer
from matching.semantic import SemanticIndex
from matching.taxonomy import Kind, Taxonomy
from models.dataset import Dataset, read_dataset
from models.valuation import Schemes

T = TypeVar("T")


class Runtime:
    """The settings and what they name, each built once, on first use (thread-safe)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._built: dict[str, object] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    @classmethod
    def load(cls) -> Runtime:
        """The runtime of the environment's settings; a bad variable is one clear KoppelaarError."""
        return cls(load_settings())

    def _once(self, name: str, build: Callable[[], T]) -> T:
        """``build()`` the first time ``name`` is asked for, then the same object; one build at a time per
        name, so that a slow one (a taxonomy) never holds up another (the schemes)."""
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._built:
                self._built[name] = build()
            return cast(T, self._built[name])

    @property
    def schemes(self) -> Schemes:
        """The valuation schemes: the built-in ones plus those of ``KOPPELAAR_VALUATION_SCHEMES``."""
        return self._once("schemes", self.settings.schemes)

    @property
    def known_schemes(self) -> frozenset[str]:
        """The names an obligation's ``valuation_scheme`` may take in this installation."""
        return frozenset(self.schemes.by_name)

    @property
    def postcodes(self) -> PostcodeTable | None:
        path = self.settings.postcodes
        return self._once("postcodes", lambda: read_postcodes(path) if path is not None else None)

    @property
    def taxonomy(self) -> Taxonomy | None:
        """The taxonomy of ``KOPPELAAR_TAXONOMY`` (an ESCO export), else the built-in one with the English
        labels of ``KOPPELAAR_ESCO``, else ``None``: the built-in one."""
        path, esco = self.settings.taxonomy, self.settings.esco
        configured = path is not None or esco is not None
        return self._once("taxonomy", lambda: load_taxonomy(path, esco) if configured else None)

    @property
    def model(self) -> LearnedScorer | None:
        """The scorer of ``KOPPELAAR_MODEL`` (the server's suggestions and runs), else ``None``: rule-based."""
        path = self.settings.model
        return self._once("model", lambda: read_model(path) if path is not None else None)

    @staticmethod
    def scorer(model: Path | None) -> Scorer | None:
        """The scorer of a model file given on the command line (``None``: the rule-based score)."""
        return read_model(model) if model is not None else None

    def read(self, folder: Path) -> Dataset:
        """A dataset folder, validated with this installation's valuation schemes."""
        return read_dataset(folder, schemes=self.known_schemes)

    @property
    def semantic(self) -> bool:
        """Whether skill texts are compared by meaning too: ``KOPPELAAR_SEMANTIC`` and the extra installed."""
        return self.settings.semantic and semantic_available()

    @property
    def normaliser(self) -> Normaliser:
        """The normaliser of the configured taxonomy that every dataset is prepared with, semantic for skills
        when :attr:`semantic` (the label vectors from the embedding cache, encoded on first use). Shared, so
        each distinct text is worked out once per process."""
        return self._once("normaliser", self._normaliser)

    def _normaliser(self) -> Normaliser:
        taxonomy = self.taxonomy or Taxonomy.builtin()
        indexes: dict[Kind, SemanticIndex] = (
            {"skill": semantic_index(taxonomy, "skill", static=self.settings.semantic_static)} if self.semantic else {}
        )
        threshold = self.match_config(date.today()).normalise_threshold
        return Normaliser(taxonomy, threshold=threshold, semantic=indexes)

    def prepare(self, ds: Dataset, today: date) -> Prepared:
        """A dataset prepared for matching on ``today`` with the configured taxonomy, normaliser and postcode table."""
        return Prepared(ds, config=self.match_config(today), normaliser=self.normaliser, postcodes=self.postcodes)

    def match_config(self, today: date) -> MatchConfig:
        """The matching rules' settings on ``today``."""
        return MatchConfig(today=today, hours_below_min=self.settings.hours_below_min)


__all__ = ["Runtime"]
