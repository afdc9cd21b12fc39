"""The last encoder layer computed for the first token only, for export: a classifier reads nothing else.

A sequence-classification head (XLM-R, RoBERTa, BERT) reads the first token (``<s>`` / ``[CLS]``) of the
last layer. That layer still needs every token's keys and values, but its queries, attention output and
feed-forward network are needed for the first token alone: ~83 % of that layer's multiply-adds, ~7 % of
the model's, are skipped. The logits are the same up to float rounding, which is checked on the
export's example batch before the change is kept. Imported by the export only, which has PyTorch anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol, cast

import torch

log = logging.getLogger(__name__)

# Largest |logit difference| accepted between the changed and the unchanged network.
TOLERANCE = 1e-4

# Architectures whose layers have BERT's layout (attention.self.query/key/value, attention.output,
# feed_forward_chunk) and whose classification head reads the first token of the last layer.
SUPPORTED = {"xlm-roberta", "roberta", "bert", "camembert"}


# The parts of a BERT-layout layer that are used below. torch types a submodule's attributes as
# ``Tensor | Module`` (``Module.__getattr__``); these say what they are in the supported architectures.
class _SelfAttention(Protocol):
    num_attention_heads: int
    attention_head_size: int
    scaling: float

    def query(self, hidden_states: torch.Tensor, /) -> torch.Tensor: ...
    def key(self, hidden_states: torch.Tensor, /) -> torch.Tensor: ...
    def value(self, hidden_states: torch.Tensor, /) -> torch.Tensor: ...


class _SelfOutput(Protocol):
    def __call__(self, hidden_states: torch.Tensor, input_tensor: torch.Tensor, /) -> torch.Tensor: ...


class _Attention(Protocol):
    self: _SelfAttention
    output: _SelfOutput


class _BertLayer(Protocol):
    attention: _Attention

    def feed_forward_chunk(self, attention_output: torch.Tensor, /) -> torch.Tensor: ...


class FirstTokenLayer(torch.nn.Module):
    """``layer`` on every token's keys and values, for the first token's query only."""

    def __init__(self, layer: torch.nn.Module) -> None:
        super().__init__()
        self.layer = layer

    def forward(self, hidden_states: torch.Tensor, attention_mask: torch.Tensor | None = None,
                *args: object, **kwargs: object) -> torch.Tensor:
        layer = cast(_BertLayer, self.layer)  # first_token_only installs this on SUPPORTED architectures only
        attention = layer.attention
        heads, size = attention.self.num_attention_heads, attention.self.attention_head_size
        rows = hidden_states.shape[0]
        first = hidden_states[:, :1]
        query = attention.self.query(first).view(rows, 1, heads, size).transpose(1, 2)
        key = attention.self.key(hidden_states).view(rows, -1, heads, size).transpose(1, 2)
        value = attention.self.value(hidden_states).view(rows, -1, heads, size).transpose(1, 2)
        scores = torch.matmul(query, key.transpose(2, 3)) * attention.self.scaling
        if attention_mask is not None:  # additive, (rows, 1, queries or 1, keys)
            scores = scores + attention_mask[:, :, :1, :]
        context = torch.matmul(scores.softmax(dim=-1), value).transpose(1, 2).reshape(rows, 1, heads * size)
        return layer.feed_forward_chunk(attention.output(context, first))


def first_token_only(network: torch.nn.Module, example: Mapping[str, torch.Tensor]) -> bool:
    """Replace ``network``'s last encoder layer in place when its logits on ``example`` stay the same.

    False, with ``network`` unchanged, for other architectures or when the logits differ.
    """
    config = getattr(network, "config", None)
    layers = getattr(getattr(getattr(network, "base_model", None), "encoder", None), "layer", None)
    if getattr(config, "model_type", None) not in SUPPORTED or not isinstance(layers, torch.nn.ModuleList):
        return False
    if getattr(config, "is_decoder", False) or getattr(config, "add_cross_attention", False):
        return False
    original = layers[-1]
    with torch.no_grad():
        before = network(**example).logits
        layers[-1] = FirstTokenLayer(original)
        difference = float((network(**example).logits - before).abs().max())
    if difference > TOLERANCE:
        layers[-1] = original
        log.warning("first-token-only last layer changed the logits by %.2g: exporting the full layer", difference)
        return False
    return True
