"""What the reply queue costs: classify-time intake and the periodic check, against a baseline in the same run.

The baseline is the same posts through the pipeline with only the plain negative-post rule. Posts
are stored and classified (a keyword classifier, so the model does not dominate), then the reply
check runs with everything due. SQLite in a temp dir; the machine may be shared, so compare the
ratios, not the absolute times.

    .venv/bin/python bench/replies.py [--posts 2000] [--batch 32]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.base import Cursor, Post  # noqa: E402
from monitor.alerts import outbox  # noqa: E402
from monitor.bootstrap import bootstrap  # noqa: E402
from monitor.config import parse_config  # noqa: E402
from monitor.storage import posts as store  # noqa: E402
from tests.replies.helpers import KeywordClassifier  # noqa: E402

START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def run(n: int, batch: int, *, replies: bool, directory: Path, incidents: bool = True) -> dict[str, float]:
    clock = Clock()
    name = ("r" if incidents else "n") if replies else "b"
    raw = {
        "storage": {"url": f"sqlite:///{directory / (name + '.db')}"},
        "classifier": {"batch_size": batch},
        "slack": {"console": True},  # nothing is delivered here: the bench times intake, not Slack
        "brands": [{"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport"}}],
        "replies": {
            "enabled": replies,
            "categories": [{"name": "billing", "keywords": ["refund", "invoice"], "channel": "#billing"}],
            "incidents": {"enabled": incidents},
        },
    }
    app = bootstrap(parse_config(raw, env={}), clock=clock, classifier=KeywordClassifier(), connectors={})
    words = ["broken", "refund", "worst", "scam", "great", "fine"]
    batch_posts = [
        Post(
            platform="x",
            post_id=str(i),
            author=f"user{i % 300}",
            text=f"@AcmeSupport acme is {words[i % 6]} today #{i}",
            created_at=START - timedelta(seconds=i % 600),
            metrics={"followers": (i * 37) % 20000, "likes": i % 7},
        )
        for i in range(n)
    ]
    with app.engine.begin() as conn:
        store.store_page(
            conn, source="x", brand="Acme", posts_in=batch_posts, cursor=Cursor(None), brand_handles=(), now=START
        )
    started = time.perf_counter()
    app.pipeline.classify_pending()
    intake = time.perf_counter() - started
    check = 0.0
    if app.replies is not None:
        clock.now = START + timedelta(hours=2)
        started = time.perf_counter()
        report = app.replies.check()
        check = time.perf_counter() - started
        assert report.escalated > 0
    with app.engine.connect() as conn:
        queued = outbox.undelivered(conn)
    app.engine.dispose()
    return {"intake_s": intake, "check_s": check, "outbox_rows": queued}


def _line(label: str, n: int, result: dict[str, float], base: dict[str, float]) -> str:
    ratio = result["intake_s"] / base["intake_s"]
    return (
        f"  {label:<30} intake {result['intake_s']:.2f}s ({n / result['intake_s']:,.0f} posts/s, x{ratio:.2f} "
        f"baseline), {result['outbox_rows']} outbox rows before the check; check {result['check_s']:.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = run(args.posts, args.batch, replies=False, directory=Path(tmp))
        with_replies = run(args.posts, args.batch, replies=True, directory=Path(tmp))
        no_incidents = run(args.posts, args.batch, replies=True, directory=Path(tmp), incidents=False)
    n = args.posts
    print(f"{n} posts (2/3 negative), classify batches of {args.batch}, SQLite")
    print(f"  baseline (negative-post rule): intake {base['intake_s']:.2f}s ({n / base['intake_s']:,.0f} posts/s), "
          f"{base['outbox_rows']} outbox rows")  # fmt: skip
    print(_line("reply queue, incidents off:", n, no_incidents, base))
    print(_line("reply queue, incidents on:", n, with_replies, base))
    print("  (the reply check runs with every item past due)")

if __name__ == "__main__":
    main()
