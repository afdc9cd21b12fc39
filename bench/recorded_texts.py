"""Post texts from the real X and Reddit pages in ../shared/data/recorded-api (what the cache sees in real life)."""

from __future__ import annotations

import json
import lzma
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shared_data() -> Path | None:
    """$BRAND_MONITOR_SHARED_DATA, else ../shared/data beside the checkout, else /work/shared/data."""
    configured = os.environ.get("BRAND_MONITOR_SHARED_DATA")
    candidates = [Path(configured)] if configured else [ROOT.parent / "shared" / "data", Path("/work/shared/data")]
    return next((c for c in candidates if c.is_dir()), None)


def _read(path: Path) -> object:
    if path.suffix == ".xz":
        with lzma.open(path) as packed:
            return json.loads(packed.read())
    return json.loads(path.read_bytes())


def recorded_texts() -> dict[str, list[str]]:
    """{"x": tweets (the page's data and the tweets it includes), "reddit": comments and posts}; {} when absent."""
    base = shared_data()
    if base is None or not (base / "recorded-api").is_dir():
        return {}
    api = base / "recorded-api"
    out: dict[str, list[str]] = {"x": [], "reddit": []}
    for path in sorted((api / "x").glob("*.json*")):
        page = _read(path)
        if isinstance(page, dict):
            out["x"] += [t["text"] for t in page.get("data", []) if t.get("text")]
            out["x"] += [t["text"] for t in page.get("includes", {}).get("tweets", []) if t.get("text")]
    for path in sorted((api / "reddit").glob("*.json*")):
        page = _read(path)
        children = page.get("data", {}).get("children", []) if isinstance(page, dict) else []
        for child in children:
            data = child.get("data", {})
            text = data.get("body") or " ".join(filter(None, (data.get("title"), data.get("selftext"))))
            if text:
                out["reddit"].append(text)
    return out
