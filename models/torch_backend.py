"""PyTorch inference for a HuggingFace sequence-classification model: logits for padded id batches."""

from __future__ import annotations

import logging

import numpy as np

from models.runtime import threads_for, torch_device

log = logging.getLogger(__name__)


class TorchBackend:
    """A transformers model in eval mode under ``torch.inference_mode``, on CPU or CUDA."""

    name = "transformers"

    def __init__(self, model_path: str, *, device: str, threads: int) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification

        self.device = torch_device(device)
        if self.device == "cpu":
            torch.set_num_threads(threads_for(threads))
        self._torch = torch
        self.model = AutoModelForSequenceClassification.from_pretrained(model_path)
        self.model.to(self.device).eval()
        self.config = self.model.config

    def logits(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """Raw class scores, one row per input row."""
        torch = self._torch
        with torch.inference_mode():
            out = self.model(
                input_ids=torch.from_numpy(input_ids).to(self.device),
                attention_mask=torch.from_numpy(attention_mask).to(self.device),
            ).logits
        return out.float().cpu().numpy()
