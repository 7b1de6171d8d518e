"""A static first stage for semantic search: a text embedded as the mean of its tokens' vectors.

The sentence-embedding model costs some 8 ms of CPU a text. A :class:`StaticEmbedding` places a text
in (nearly) the model's space without running it: each vocabulary token has one vector, and a text is
the unit mean of its tokens' vectors (about 0.05 ms). The vectors are made once per taxonomy, when its
label vectors are (:func:`fit_static`):

1. each token of the taxonomy's labels and the lexicon's words is run through the model alone, as
   model2vec does (the model's own vector of the token, without context);
2. the vectors of the tokens in the embedded label texts are then fitted so that each label text's mean
   of token vectors comes near that text's vector from the model (ridge regression towards the
   distilled vectors), so a text's static vector is compared with the model's label vectors directly.

Static vectors rank concepts well below the model (docs/NORMALISATION.md); with the fuzzy scores fused
as for the model's cosines they rank an English text nearly as well when a label of one of its
candidates shares most of its characters with it, and :class:`matching.normalise.Normaliser` uses them
only then.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from scipy import sparse

#: The ridge penalty pulling a fitted token vector towards its distilled one (:func:`fit_static`); chosen
#: on the even-numbered English validation spans (0.03 and 0.3 ranked lower than 0.1).
RIDGE = 0.1


@dataclass(frozen=True)
class StaticEmbedding:
    """Token vectors: ``vectors`` row ``i`` belongs to token id ``token_ids[i]``; ``tokenize`` gives a
    text's token ids (the model's tokeniser, without the model's prefixes)."""

    token_ids: np.ndarray
    vectors: np.ndarray
    tokenize: Callable[[str], list[int]]
    _rows: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_rows", {int(token): row for row, token in enumerate(self.token_ids.tolist())})

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit row per text: the mean of its known tokens' vectors (zeros when it has none)."""
        out = np.zeros((len(texts), self.vectors.shape[1]), dtype=np.float32)
        for i, text in enumerate(texts):
            rows = [row for row in map(self._rows.get, self.tokenize(text)) if row is not None]
            if rows:
                out[i] = self.vectors[rows].sum(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        vectors: np.ndarray = out / np.maximum(norms, 1e-9)
        return vectors


def fit_static(
    token_ids: np.ndarray,
    distilled: np.ndarray,
    label_tokens: Sequence[Sequence[int]],
    label_vectors: np.ndarray,
    ridge: float = RIDGE,
) -> np.ndarray:
    """The token vectors of :class:`StaticEmbedding`, one row per ``token_ids`` (ascending), fitted to the
    model's vectors of the label texts.

    ``distilled`` holds the model's unit vector of each token alone; ``label_tokens`` the token ids of
    each label text and ``label_vectors`` the model's vector of it. The vectors of the tokens that occur
    in the label texts are moved from their distilled ones by the least-squares fit of
    ``mean of the text's token vectors ≈ the text's vector``, with ``ridge`` times the squared move as
    penalty; the other tokens keep their distilled vectors.
    """
    position = {int(token): row for row, token in enumerate(token_ids.tolist())}
    rows: list[int] = []
    columns: list[int] = []
    for text_row, tokens in enumerate(label_tokens):
        known = [position[token] for token in tokens if token in position]
        rows.extend([text_row] * len(known))
        columns.extend(known)
    counts = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(label_tokens), len(token_ids)), dtype=np.float64
    )
    counts.sum_duplicates()
    per_text = np.asarray(counts.sum(axis=1)).ravel()
    means = sparse.csr_matrix(sparse.diags(1.0 / np.maximum(per_text, 1.0)) @ counts)
    vectors = distilled.astype(np.float64)
    used = np.flatnonzero(np.asarray(counts.sum(axis=0)).ravel() > 0)
    if len(used):
        x = means[:, used].tocsc()
        gram = np.asarray((x.T @ x).todense()) + ridge * np.eye(len(used))
        residual = label_vectors.astype(np.float64) - means @ vectors
        vectors[used] += scipy.linalg.solve(gram, x.T @ residual, assume_a="pos")
    fitted: np.ndarray = vectors.astype(np.float32)
    return fitted
