"""Load the configured sentiment model once per process, logging load time and memory."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from models import versions
from models.base import Classifier, ModelLoadError
from models.classifier import Backend, SentimentClassifier, Tokenizer
from models.labels import folding_matrix, infer_mapping
from models.light_files import LightTokenizer, has_light_files, read_config
from models.runtime import rss_mb
from models.settings import ClassifierSettings

log = logging.getLogger(__name__)

# Models whose position ids start after the padding index (so max_position_embeddings - pad - 1 tokens fit).
_OFFSET_POSITIONS = {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "xmod"}

_loaded: dict[str, Classifier] = {}
_lock = threading.Lock()


class ModelConfig(Protocol):
    """What loading reads of a model's config (transformers' ``PretrainedConfig`` or the light ``config.json``)."""

    @property
    def id2label(self) -> Mapping[int, str]: ...


def load_classifier(settings: ClassifierSettings) -> Classifier:
    """The classifier ``settings`` ask for, loaded on the first call and shared after that."""
    key = settings.model_dump_json()
    with _lock:
        if key not in _loaded:
            _loaded[key] = _load(settings)
        return _loaded[key]


def _load(settings: ClassifierSettings) -> SentimentClassifier:
    started, rss_before = time.monotonic(), rss_mb()
    settings = versions.resolve(settings)  # a directory of tuned versions runs its active one
    if settings.backend == "onnx" and not Path(settings.onnx_model or "").expanduser().is_file():
        raise ModelLoadError(
            f"[classifier] onnx_model {settings.onnx_model!r} is not a file: write it with "
            "`brand-monitor model export --output DIR` and point onnx_model at DIR/model.int8.onnx"
        )
    source = _tokenizer_source(settings)
    light = settings.backend == "onnx" and has_light_files(Path(source).expanduser())
    tokenizer, config = _light_tokenizer_and_config(source) if light else _load_tokenizer_and_config(source)
    backend = _load_backend(settings, source=source, config=config)
    mapping = infer_mapping(config.id2label, settings.labels)
    languages = None
    if settings.detect_language:
        from models.language import LanguageDetector

        languages = LanguageDetector()
    classifier = SentimentClassifier(
        settings=settings,
        tokenizer=tokenizer,
        backend=backend,
        folding=folding_matrix(mapping),
        max_tokens=max_tokens(config, tokenizer, settings.max_length),
        languages=languages,
        version=versions.version_name(settings),
    )
    log.info(
        "sentiment model %s (version %s) loaded in %.1fs (%s on %s, labels %s, max %d tokens); "
        "memory %.0f MiB (+%.0f MiB)",
        settings.onnx_model or settings.model,
        classifier.version,
        time.monotonic() - started,
        backend.name,
        backend.device,
        {config.id2label[i]: target for i, target in mapping.items()},
        classifier.max_tokens,
        rss_mb(),
        rss_mb() - rss_before,
    )
    return classifier


def max_tokens(config: object, tokenizer: object, configured: int) -> int:
    """The longest input the model accepts: ``configured``, capped by the tokenizer's and the model's limits."""
    limits = [configured]
    tokenizer_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tokenizer_limit, int) and tokenizer_limit < 100_000:  # unset limits are 1e30
        limits.append(tokenizer_limit)
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int):
        pad = getattr(config, "pad_token_id", None)
        offset = pad + 1 if getattr(config, "model_type", "") in _OFFSET_POSITIONS and pad is not None else 0
        limits.append(positions - offset)
    return min(limits)


def _tokenizer_source(settings: ClassifierSettings) -> str:
    """Where the tokenizer and config come from: next to the ONNX file when they are there, else ``model``."""
    if settings.backend == "onnx" and settings.onnx_model:
        beside = Path(settings.onnx_model).expanduser().parent
        if (beside / "config.json").is_file():
            return str(beside)
    return settings.model


def _light_tokenizer_and_config(source: str) -> tuple[Tokenizer, ModelConfig]:
    directory = Path(source).expanduser()
    try:
        return LightTokenizer(directory), read_config(directory)
    except (OSError, ValueError, TypeError) as exc:  # tokenizers raises Exception subclasses of these
        raise _load_error(source, exc) from None


def library_output_to_logging() -> None:
    """transformers and huggingface_hub print warnings and progress bars on stderr themselves: send their
    warnings through our log handlers instead (so JSON logs stay JSON), and switch their progress bars off
    when ``HF_HUB_DISABLE_PROGRESS_BARS`` says so (JSON logging sets it; they read it only at import)."""
    import huggingface_hub.utils as hub_utils
    from transformers.utils import logging as transformers_logging

    for name in ("transformers", "huggingface_hub"):
        library = logging.getLogger(name)
        library.handlers[:] = [h for h in library.handlers if not isinstance(h, logging.StreamHandler)]
        library.propagate = True
    if os.environ.get("HF_HUB_DISABLE_PROGRESS_BARS", "").lower() in {"1", "true", "yes", "on"}:
        transformers_logging.disable_progress_bar()
        hub_utils.disable_progress_bars()
    else:  # an earlier command in this process may have switched them off
        transformers_logging.enable_progress_bar()
        hub_utils.enable_progress_bars()


def _load_tokenizer_and_config(source: str) -> tuple[Tokenizer, ModelConfig]:
    from transformers import AutoConfig, AutoTokenizer

    library_output_to_logging()

    looks_local = source.startswith((".", "/", "~")) or Path(source).expanduser().exists()
    if looks_local and not Path(source).expanduser().is_dir():
        raise ModelLoadError(
            f"sentiment model directory {source!r} does not exist: set [classifier] model to a directory "
            "holding a HuggingFace sequence-classification model (config.json, weights, tokenizer) or a model id"
        )
    path = str(Path(source).expanduser()) if looks_local else source
    try:
        config = AutoConfig.from_pretrained(path)
        tokenizer = AutoTokenizer.from_pretrained(path)
    except (OSError, ValueError, KeyError) as exc:
        raise _load_error(source, exc) from None
    if not getattr(config, "id2label", None):
        raise ModelLoadError(f"model {source!r} has no id2label in its config: is it a sequence-classification model?")
    return tokenizer, config


def _load_backend(settings: ClassifierSettings, *, source: str, config: ModelConfig) -> Backend:
    if settings.backend == "onnx":
        from models.onnx_backend import OnnxBackend, load_errors

        onnx_path = Path(settings.onnx_model or "").expanduser()
        try:
            return OnnxBackend(str(onnx_path), config=config, device=settings.device, threads=settings.threads)
        except load_errors() as exc:
            raise _load_error(str(onnx_path), exc, hint=_ONNX_HINT) from None
    from models.torch_backend import TorchBackend

    path = str(Path(source).expanduser()) if Path(source).expanduser().is_dir() else source
    try:
        return TorchBackend(path, device=settings.device, threads=settings.threads)
    except ModelLoadError:
        raise
    except (OSError, ValueError, RuntimeError, AssertionError) as exc:  # no CUDA build: AssertionError
        raise _load_error(source, exc) from None


_MODEL_HINT = (
    "Point [classifier] model at a local directory holding a HuggingFace sequence-classification "
    "model (config.json, weights, tokenizer), or run once with network access to download it."
)
_ONNX_HINT = "Write the file again with `brand-monitor model export --output DIR` and point onnx_model at it."


def _load_error(source: str, exc: BaseException, *, hint: str = _MODEL_HINT) -> ModelLoadError:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return ModelLoadError(f"could not load sentiment model {source!r}: {exc.__class__.__name__}: {first_line}\n{hint}")
