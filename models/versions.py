"""Tuned model versions in one directory, and which of them is active.

``brand-monitor model tune --output HOME`` writes each tuned model to ``HOME/<version>/`` and, only when it
beat the model it started from on the held-out split, names it in ``HOME/ACTIVE``. A config whose
``[classifier] model`` (or ``onnx_model``) is ``HOME`` runs the active version from its next start.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from models.base import ModelLoadError
from models.settings import ClassifierSettings

ACTIVE = "ACTIVE"
VERSION_FILE = "version.json"
ONNX_FILE = "model.int8.onnx"


def active_version(home: Path) -> Path | None:
    """The active version's directory under ``home``, or None when ``home`` holds no ACTIVE file."""
    pointer = home / ACTIVE
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    version = home / name
    if not name or "/" in name or not version.is_dir():
        raise ModelLoadError(f"{pointer} names {name!r}, which is not a model directory beside it: "
                             "run `brand-monitor model tune` again or write a version's directory name into it")
    return version


def resolve(settings: ClassifierSettings) -> ClassifierSettings:
    """``settings`` with a versions directory (``model`` or ``onnx_model``) replaced by its active version."""
    update: dict[str, Any] = {}
    model_home = Path(settings.model).expanduser()
    if model_home.is_dir() and (version := active_version(model_home)) is not None:
        update["model"] = str(version)
    if settings.onnx_model:
        onnx_home = Path(settings.onnx_model).expanduser()
        if onnx_home.is_dir() and (version := active_version(onnx_home)) is not None:
            update["onnx_model"] = str(version / ONNX_FILE)
    return settings.model_copy(update=update) if update else settings


def activate(home: Path, version: Path) -> None:
    """Make ``version`` (a directory inside ``home``) the active one, atomically."""
    pointer = home / ACTIVE
    scratch = home / f".{ACTIVE}.{os.getpid()}"
    scratch.write_text(version.name + "\n", encoding="utf-8")
    os.replace(scratch, pointer)


def write_version(directory: Path, info: dict[str, Any]) -> None:
    """Record where a tuned version came from and how it scored."""
    (directory / VERSION_FILE).write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def version_name(settings: ClassifierSettings) -> str:
    """A short name for the model ``settings`` run, stored with each label: a tuned version's name, else the
    model id or directory name (and the ONNX file's name)."""
    source = Path(settings.onnx_model).expanduser().parent if settings.onnx_model else Path(settings.model)
    info = source.expanduser() / VERSION_FILE
    if info.is_file():
        try:
            return str(json.loads(info.read_text(encoding="utf-8"))["version"])[:64]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    name = settings.model if not Path(settings.model).expanduser().is_dir() else Path(settings.model).name
    if settings.backend == "onnx" and settings.onnx_model:
        name = f"{source.name}/{Path(settings.onnx_model).name}"
    return name[-64:]
