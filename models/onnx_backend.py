"""ONNX Runtime inference on a file written by ``brand-monitor model export`` (fp32 or int8)."""

from __future__ import annotations

import logging

import numpy as np

from models.runtime import map_long_batch_buffers, return_large_buffers, threads_for

log = logging.getLogger(__name__)

# ONNX Runtime's own fusions that make this model slower on CPU (onnxruntime 1.32). The session fuses the
# int8 graph's residual Add + LayerNormalization into SkipLayerNormalization, which ran 5.4 ns per element
# against 0.6-1.0 for the two ops apart, and the fp32 graph's bias Add + Gelu into BiasGelu. `model export`
# leaves both unfused; with them kept apart int8 ran 25 % and fp32 10 % more posts/s (docs/classifier.md,
# "Figures on an AMX machine").
SLOW_FUSIONS = ("SkipLayerNormFusion", "BiasGeluFusion")
# The feed-forward activation (padded tokens x intermediate width x 4 bytes) over which a batch counts as
# long: its big buffers are mapped, not taken from the heap (models/runtime.py map_long_batch_buffers).
# Measured on XLM-R base (3,072 wide) as a token count: most batches of tweet-length posts (about 3 x 40
# tokens) stay under 128 tokens; 128, 256 and never ran short posts equally fast, and 128 left the lowest
# peak. In bytes, so that a wider or narrower model switches at the same buffer size, not the same length.
LONG_BATCH_FFN_BYTES = 128 * 3072 * 4


def long_batch_tokens(config: object) -> int:
    """Padded tokens over which a batch of this model counts as long (``LONG_BATCH_FFN_BYTES``)."""
    width = getattr(config, "intermediate_size", 0) or 4 * getattr(config, "hidden_size", 0) or 3072
    return max(1, LONG_BATCH_FFN_BYTES // (4 * int(width)))


def load_errors() -> tuple[type[BaseException], ...]:
    """onnxruntime's own exception classes (plain Exception subclasses from its C++ binding)."""
    from onnxruntime.capi import onnxruntime_pybind11_state as state

    found = [c for c in vars(state).values() if isinstance(c, type) and issubclass(c, Exception)]
    return (OSError, ValueError, RuntimeError, *found)


class OnnxBackend:
    """An ``onnxruntime.InferenceSession`` taking input_ids + attention_mask, returning logits."""

    name = "onnx"

    def __init__(self, onnx_path: str, *, config: object, device: str, threads: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads_for(threads)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Every batch has a new shape; the arena would keep the largest of each and grow to GBs.
        options.enable_cpu_mem_arena = False
        # ... so activation buffers come from malloc: make glibc give the big ones back after each batch.
        if return_large_buffers():
            log.debug("glibc maps buffers of 16 MiB and more: freed activations leave RSS")
        available = ort.get_available_providers()
        wants_gpu = device != "cpu" and "CUDAExecutionProvider" in available
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] if wants_gpu else ["CPUExecutionProvider"]
        if device.startswith("cuda") and not wants_gpu:
            log.warning("device = %r but this onnxruntime has no CUDA provider: running on CPU", device)
        self.session = ort.InferenceSession(
            onnx_path, sess_options=options, providers=providers,
            # Measured slower on CPU only; on a GPU ONNX Runtime's own choice stands (not measured here).
            disabled_optimizers=[] if wants_gpu else list(SLOW_FUSIONS),
        )
        self.device = "cuda" if wants_gpu else "cpu"
        self.config = config
        self.long_batch_tokens = long_batch_tokens(config)
        self._inputs = {i.name for i in self.session.get_inputs()}

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Raw class scores, one row per input row."""
        feed = {"input_ids": input_ids, "attention_mask": attention_mask}
        with map_long_batch_buffers(input_ids.size > self.long_batch_tokens):
            out = self.session.run(["logits"], {k: v for k, v in feed.items() if k in self._inputs})
        return np.asarray(out[0])
