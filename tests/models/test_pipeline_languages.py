"""The daemon's classify step stores the tiny model's label, confidence mark and detected language per post."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from connectors.base import Cursor, Post
from models.base import Sentiment
from models.loading import load_classifier
from monitor.config import load_config
from monitor.pipeline import Pipeline
from monitor.storage import migrate
from monitor.storage import posts as store
from monitor.storage.engine import make_engine
from monitor.storage.schema import posts
from tests.support.tiny_model import TRAINING

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_classify_pending_stores_language_and_low_confidence(tmp_path: Path, db_url: str, tiny_model_dir) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text(
        f'[storage]\nurl = "{db_url}"\n[classifier]\nmodel = "{tiny_model_dir}"\n'
        'language_thresholds = { fa = 0.5 }\nnegative_threshold = 1.0\n'
        '[[brands]]\nname = "Acme"\nterms = ["acme"]\n',
        encoding="utf-8",
    )
    config = load_config(config_path)
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    texts = [TRAINING[3][0], TRAINING[0][0], "   ", TRAINING[2][0]]
    batch = [
        Post(platform="x", post_id=str(i), author="a", text=t, created_at=NOW - timedelta(minutes=i))
        for i, t in enumerate(texts)
    ]
    with engine.begin() as conn:
        store.store_page(conn, source="x", brand="Acme", posts_in=batch, cursor=Cursor("4"), brand_handles=(), now=NOW)
    pipeline = Pipeline(
        engine=engine, config=config, clock=lambda: NOW, classifier=lambda: load_classifier(config.classifier), rules=[]
    )
    assert pipeline.classify_pending() == 4
    with engine.connect() as conn:
        rows = conn.execute(select(posts.c.post_id, posts.c.lang, posts.c.sentiment, posts.c.low_confidence)).all()
        versions = set(conn.execute(select(posts.c.model_version)).scalars())
    engine.dispose()
    assert versions == {tiny_model_dir.name}, "each label records the model that gave it"
    by_id = {r.post_id: (r.lang, r.sentiment, r.low_confidence) for r in rows}
    # Only Persian has a threshold under 1.0, so only the Persian complaint is negative.
    assert by_id == {
        "0": ("fa", "negative", False),
        "1": ("en", by_id["1"][1], False),
        "2": (None, "neutral", True),
        "3": ("ru", by_id["3"][1], False),
    }
    assert by_id["1"][1] != "negative" and by_id["3"][1] != "negative"


def test_the_model_is_loaded_only_when_there_is_something_to_classify(tmp_path: Path, db_url: str) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text(f'[storage]\nurl = "{db_url}"\n[[brands]]\nname = "Acme"\nterms = ["acme"]\n')
    config = load_config(config_path)
    engine = make_engine(db_url)
    loads: list[int] = []

    class Neutral:
        def classify(self, texts):
            return [Sentiment("neutral", 0.9, 0.05) for _ in texts]

    def load() -> Neutral:  # a real model takes seconds and hundreds of MiB to load
        loads.append(1)
        return Neutral()

    pipeline = Pipeline(engine=engine, config=config, clock=lambda: NOW, classifier=load, rules=[])
    assert pipeline.classify_pending() == 0
    assert loads == [], "nothing to label: the model is not loaded (a `run --once` with nothing new)"
    post = Post(platform="x", post_id="1", author="a", text="acme", created_at=NOW)
    with engine.begin() as conn:
        store.store_page(conn, source="x", brand="Acme", posts_in=[post], cursor=Cursor("1"), brand_handles=(), now=NOW)
    assert pipeline.classify_pending() == 1
    assert loads, "something to label: the model is loaded"
    engine.dispose()
