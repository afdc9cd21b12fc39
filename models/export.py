"""``brand-monitor model export``: a HuggingFace model → ONNX fp32 + dynamically quantised int8, checked."""

from __future__ import annotations

import contextlib
import logging
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.base import ModelLoadError

log = logging.getLogger(__name__)

FP32_NAME, INT8_NAME = "model.onnx", "model.int8.onnx"


@dataclass(frozen=True)
class ExportedModel:
    """Paths and sizes of an export."""

    directory: Path
    fp32: Path
    int8: Path
    seconds: float

    def sizes_mb(self) -> dict[str, float]:
        """File sizes (MiB), weights held in external data files included."""
        return {name: round(_size(path) / 2**20, 1) for name, path in (("fp32", self.fp32), ("int8", self.int8))}


def export_model(model: str, output: Path) -> ExportedModel:
    """Write ``output``/model.onnx (fp32), model.int8.onnx (int8 weights), the tokenizer and config.json."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from models.first_token import first_token_only
    from models.loading import library_output_to_logging

    library_output_to_logging()  # no progress bars above INFO, library warnings as log records
    started = time.monotonic()
    try:
        tokenizer = AutoTokenizer.from_pretrained(model)
        # Eager attention: see the export below.
        network = AutoModelForSequenceClassification.from_pretrained(model, attn_implementation="eager").eval()
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"could not load {model!r} to export it: {exc.__class__.__name__}: {exc}") from None
    output.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(output)
    network.config.save_pretrained(output)
    # Two rows of different lengths, so neither the batch nor the sequence axis is traced as a constant.
    example = tokenizer(["an example post", "a second, longer example post to set the shape"], padding=True,
                        return_tensors="pt")
    # The classifier reads the first token of the last layer only: compute nothing else there.
    pruned = first_token_only(network, example)
    log.info("last layer computed for the first token only: %s", "yes" if pruned else "no")
    fp32, int8 = output / FP32_NAME, output / INT8_NAME
    for stale in (fp32, int8):  # onnx appends to an existing external data file rather than replacing it
        _remove(stale)
    scratch = tempfile.TemporaryDirectory(dir=output, prefix=".export-")
    traced = Path(scratch.name) / "traced.onnx"
    axes = {"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
            "logits": {0: "batch"}}
    # The exporter prints progress on stdout, which the command keeps for its JSON report.
    with torch.no_grad(), contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TorchScript exporter deprecation and tracer warnings
        # The TorchScript exporter on eager attention: its graph is the pattern ONNX Runtime's transformer
        # optimiser fuses (Attention, LayerNormalization, Gelu). The dynamo exporter's SDPA graph
        # fuses no Attention, and int8 on it ran ~1.4x more CPU per post (docs/classifier.md).
        torch.onnx.export(
            network, (example["input_ids"], example["attention_mask"]), str(traced),
            input_names=["input_ids", "attention_mask"], output_names=["logits"], dynamic_axes=axes,
            opset_version=17, dynamo=False,
        )
    # onnxruntime.quantization logs a line per tensor on the root logger, and a warning to pre-process the
    # graph (shape inference for static quantisation, which this dynamic quantisation does not need).
    with _quiet_root_logger():
        _fuse(traced, fp32, network.config)
        scratch.cleanup()
        # Dynamic quantisation: int8 weights for MatMul, the fused Attention (QAttention) and the embedding
        # Gather, activations quantised per batch at run time; no calibration data needed. Weights go to an
        # external data file, which ONNX Runtime maps instead of copying through a protobuf.
        quantize_dynamic(
            str(fp32), str(int8), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Attention", "Gather"],
            use_external_data_format=True, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    return ExportedModel(output, fp32, int8, time.monotonic() - started)


def _fuse(source: Path, target: Path, config: object) -> None:
    """ONNX Runtime's transformer fusions on ``source``, written with its weights in an external data file."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model

    heads, hidden = getattr(config, "num_attention_heads", 0), getattr(config, "hidden_size", 0)
    # Attention stays fused (QAttention in int8); the residual Add + LayerNormalization and the bias Add + Gelu
    # do not: ONNX Runtime's fused kernels for them are slower on CPU (models/onnx_backend.py SLOW_FUSIONS).
    options = FusionOptions("bert")
    options.enable_skip_layer_norm = options.enable_bias_skip_layer_norm = False
    options.enable_bias_gelu = False
    fused = optimize_model(str(source), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0,
                           optimization_options=options)
    log.info("fused operators: %s", {k: v for k, v in fused.get_fused_operator_statistics().items() if v})
    fused.save_model_to_file(str(target), use_external_data_format=True)


def _remove(path: Path) -> None:
    for part in (path, *path.parent.glob(path.name + ".*")):
        part.unlink(missing_ok=True)


@contextlib.contextmanager
def _quiet_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


def _size(path: Path) -> int:
    data = [p for p in path.parent.iterdir() if p.name.startswith(path.name + ".") and p.name.endswith("data")]
    return path.stat().st_size + sum(p.stat().st_size for p in data)


@dataclass(frozen=True)
class Agreement:
    """How far the int8 model's answers are from the fp32 model's on the same held-out posts."""

    posts: int
    same_label: float  # share of posts with the same label
    same_negative_flag: float  # share with the same is_negative
    max_negative_diff: float  # largest |P_int8(negative) - P_fp32(negative)|
    mean_negative_diff: float
    # Same labels say little when the model gives nearly every post the same label (random weights, a broken
    # export): these two look at P(negative) itself. Pearson correlation of the two files' P(negative) (0 when
    # either is constant), and the share of posts both put on the same side of their median P(negative), a
    # threshold that splits the posts in half whatever the model's labels are.
    negative_correlation: float = 0.0
    same_side_of_median: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """JSON-ready figures."""
        return {
            "posts": self.posts,
            "same_label": round(self.same_label, 4),
            "same_negative_flag": round(self.same_negative_flag, 4),
            "max_negative_diff": round(self.max_negative_diff, 4),
            "mean_negative_diff": round(self.mean_negative_diff, 4),
            "negative_correlation": round(self.negative_correlation, 4),
            "same_side_of_median": round(self.same_side_of_median, 4),
        }


def agreement(exported: ExportedModel, texts: Sequence[str], *, threads: int = 0) -> Agreement:
    """Classify ``texts`` with the fp32 and the int8 file through the production path and compare."""
    from models.loading import load_classifier
    from models.settings import ClassifierSettings

    results = []
    for path in (exported.fp32, exported.int8):
        settings = ClassifierSettings(
            model=str(exported.directory), backend="onnx", onnx_model=str(path), device="cpu", threads=threads,
            detect_language=False,
        )
        results.append(load_classifier(settings).classify(list(texts)))
    fp32, int8 = results
    pairs = list(zip(fp32, int8, strict=True))
    diffs = [abs(a.negative - b.negative) for a, b in pairs]
    count = max(1, len(pairs))
    p32, p8 = np.array([a.negative for a in fp32]), np.array([b.negative for b in int8])
    return Agreement(
        posts=len(pairs),
        same_label=sum(a.label == b.label for a, b in pairs) / count,
        same_negative_flag=sum(a.is_negative == b.is_negative for a, b in pairs) / count,
        max_negative_diff=max(diffs, default=0.0),
        mean_negative_diff=sum(diffs) / count,
        negative_correlation=correlation(p32, p8),
        same_side_of_median=same_side_of_median(p32, p8),
    )


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; 0 when either side does not vary (nothing is shown to agree)."""
    if len(a) < 2 or float(a.std()) < 1e-9 or float(b.std()) < 1e-9:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def same_side_of_median(reference: np.ndarray, other: np.ndarray) -> float:
    """Share of posts that both put on the same side of their own median P(negative): whether the two pick the
    same more-negative half. Each uses its own median, so a uniform shift of int8's probabilities (which a
    threshold set on int8's own output absorbs) does not count as disagreement; on the tiny test model, whose
    posts cluster at P 0.996-0.997, fp32's median sits inside int8's shift of that cluster."""
    if not len(reference):
        return 0.0
    return float(np.mean((reference > np.median(reference)) == (other > np.median(other))))
