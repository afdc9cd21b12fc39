"""Soak: the daemon as several processes on one throw-away PostgreSQL database, a simulated day of posts.

Local stand-ins for X (tests/support/fake_x.py, with an indexed search so it
keeps up) and Slack (tests/support/fake_slack.py) run in this process; the
daemons are real ``brand-monitor run`` processes with a tiny locally built
model (tests/support/tiny_model.py), so the figures are about the plumbing,
not inference. Posts arrive on a day-shaped curve compressed into
``--duration`` seconds, with a crisis burst; faults are injected on the way
(X 5xx/429/timeouts, Slack 429/5xx/outage, database connections killed) and
instance 1 is SIGKILLed midway. A first, short fault-free run with one
instance is the baseline for the latency figures (the machine may be shared).

    .venv/bin/python bench/soak.py [--posts 100000] [--duration 180] [--instances 2]

Prints posts ingested, alerts delivered, duplicates (must be 0), losses
(must be 0), peak memory per instance, and post-appears -> alert-sent latency.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from tests.support.databases import fresh_postgres, postgres_available  # noqa: E402
from tests.support.fake_slack import FakeSlack, Fault  # noqa: E402
from tests.support.fake_x import FakeX, _parse  # noqa: E402

BRANDS = {"Acme": "acme", "Globex": "globex"}
NEGATIVE = ["{b} support is terrible, my order never arrived", "Obsługa klienta {b} to dramat, czekam trzy tygodnie"]
OTHER = ["I love the new {b} app, great job", "Does {b} ship to Poland?", "{b} http://example.com", "thanks {b}"]
X_TOKEN = "soak-x-bearer"


class IndexedX(FakeX):
    """FakeX whose search bisects an id index (the plain fake scans every tweet) and honours the query's terms."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(bearer_token=X_TOKEN, **kw)
        self._ids: list[int] = []
        self._times: list[datetime] = []
        self.appeared: dict[str, float] = {}  # tweet id -> monotonic time it was posted

    def tweet(self, text: str, **kw: Any) -> str:
        with self.lock:
            tid = super().tweet(text, **kw)
            self._ids.append(int(tid))
            self._times.append(_parse(self.tweets[-1]["created_at"]))
            self.appeared[tid] = time.monotonic()
        return tid

    def _rate_headers(self, *, exhausted: bool) -> dict[str, str]:
        reset = str(int(time.time()) + (2 if exhausted else 900))
        return {"x-rate-limit-limit": "100000", "x-rate-limit-remaining": "0" if exhausted else "99999",
                "x-rate-limit-reset": reset}

    def _search(self, query: dict[str, str], *, malformed: bool, shuffle: bool) -> dict[str, Any]:
        terms = [t for t in BRANDS.values() if t in query.get("query", "").lower()]
        since = int(query.get("since_id") or 0)
        token = query.get("next_token")
        until = int(token.split("-")[0], 16) if token else None
        size = max(10, min(int(query.get("max_results") or 10), 100))
        with self.lock:
            lo = bisect.bisect_right(self._ids, since)
            hi = bisect.bisect_left(self._ids, until) if until else len(self._ids)
            if query.get("end_time"):
                hi = min(hi, bisect.bisect_left(self._times, _parse(query["end_time"])))
            if query.get("start_time"):
                lo = max(lo, bisect.bisect_left(self._times, _parse(query["start_time"])))
            page, more = [], False
            for index in range(hi - 1, lo - 1, -1):  # newest first
                tweet = self.tweets[index]
                if not any(t in tweet["text"].lower() for t in terms):
                    continue
                if len(page) == size:
                    more = True
                    break
                page.append(dict(tweet))
            users = {t["author_id"] for t in page}
            includes = [u for u in self.users.values() if u["id"] in users]
        if not page:
            return {"meta": {"result_count": 0}}
        meta: dict[str, Any] = {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"], "result_count": len(page)}
        if more:
            meta["next_token"] = f"{int(page[-1]['id']):x}-{random.randrange(16**6):06x}"
            self.issued_tokens.add(meta["next_token"])
        data: list[dict[str, Any]] = page
        if malformed:  # a partial object among real ones: skipped by the connector, nothing else lost
            data = [*page[:1], {"id": "not-a-number", "author_id": "1000"}, *page[1:]]
        return {"data": data, "includes": {"users": includes}, "meta": meta}


class TimedSlack(FakeSlack):
    """FakeSlack that notes when each message was accepted (refused attempts are not deliveries)."""

    def __init__(self) -> None:
        super().__init__()
        self.accepted: dict[str, list[float]] = {}

    def _chat_postMessage(self, args: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, payload, headers = super()._chat_postMessage(args)
        if payload.get("ok"):
            metadata = args.get("metadata") or {}
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            key = (metadata.get("event_payload") or {}).get("key") or f"(no key) {payload['ts']}"
            with self._lock:
                self.accepted.setdefault(key, []).append(time.monotonic())
        return status, payload, headers


@dataclass
class Instance:
    """One daemon process and what we watch about it."""

    index: int
    proc: subprocess.Popen[bytes]
    log: Path
    peak_kib: int = 0
    killed_at: float | None = None  # wall time

    def sample_memory(self) -> None:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            self.peak_kib = max(self.peak_kib, int(match.group(1)))


@dataclass
class Result:
    """The figures of one run."""

    released: int = 0
    ingested: int = 0
    classified: int = 0
    expected_alerts: int = 0
    delivered: int = 0
    duplicates: int = 0
    lost_alerts: int = 0
    lost_posts: int = 0
    undelivered_rows: int = 0
    latencies: list[float] = field(default_factory=list)
    latency_at: list[float] = field(default_factory=list)  # when each measured post appeared, s after the start
    fed_from: float = 0.0  # monotonic time the feed started
    killed_at: float | None = None  # wall time of the SIGKILL
    peaks_mib: list[float] = field(default_factory=list)
    takeovers: list[str] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    wall: float = 0.0


def negative_templates(model: Path) -> tuple[set[str], list[str]]:
    """Texts per brand, and which the tiny model calls negative (with a margin, so batching cannot flip them)."""
    from models.loading import load_classifier
    from models.settings import ClassifierSettings

    texts = [t.format(b=b) for b in BRANDS for t in NEGATIVE + OTHER]
    sentiments = load_classifier(ClassifierSettings(model=str(model))).classify(texts)
    clear = [t for t, s in zip(texts, sentiments, strict=True) if abs(s.negative - 0.5) > 0.05]
    negative = {t for t, s in zip(texts, sentiments, strict=True) if s.is_negative and t in clear}
    return negative, clear


def write_config(path: Path, *, db_url: str, model: Path, x_url: str, slack_url: str) -> Path:
    """The daemons' shared config."""
    brands = "".join(f'[[brands]]\nname = "{b}"\nterms = ["{t}"]\n' for b, t in BRANDS.items())
    path.write_text(
        f"""
[storage]
url = "{db_url}"
[classifier]
model = "{model}"
batch_size = 64
[slack]
base_url = "{slack_url}"
min_interval = "1ms"
timeout = "2s"
[schedule]
classify_interval = "1s"
deliver_interval = "1s"
spike_check_interval = "10s"
[logging]
level = "INFO"
[observability]
listen = "127.0.0.1:0"
{brands}
[sources.x]
base_url = "{x_url}"
bearer_token_env = "SOAK_X_TOKEN"
interval = "1s"
timeout = "2s"
settle = "1s"
page_size = 100
max_pages = 20
monthly_post_budget = 1000000000
""",
        encoding="utf-8",
    )
    return path


def day_curve(fraction: float) -> float:
    """Relative posting rate over a day (quiet at night, a peak in the evening)."""
    return 1.0 + 0.8 * math.sin(2 * math.pi * (fraction - 0.3))


def feed(x: IndexedX, *, posts: int, duration: float, texts: list[str], negative: set[str], stop: threading.Event,
         rng: random.Random) -> int:
    """Post ``posts`` tweets over ``duration`` seconds along the day curve, with a crisis burst at 60%."""
    steps = 1000
    weights = [day_curve(i / steps) for i in range(steps)]
    total = sum(weights)
    negatives = [t for t in texts if t in negative]
    others = [t for t in texts if t not in negative]
    start = time.monotonic()
    released = 0
    target = 0.0
    for i, weight in enumerate(weights):
        if stop.is_set():
            break
        target += posts * weight / total
        crisis = 0.58 < i / steps < 0.62
        while released < min(posts, round(target)):
            share = 0.3 if crisis else 0.03
            text = rng.choice(negatives) if rng.random() < share else rng.choice(others)
            x.tweet(text, author=f"user{rng.randrange(500)}", followers=rng.randrange(5000))
            released += 1
        pause = start + duration * (i + 1) / steps - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    return released


def start_instance(index: int, config: Path, slack: FakeSlack, workdir: Path) -> Instance:
    """Start one `brand-monitor run` process."""
    log = workdir / f"instance-{index}.log"
    env = {**os.environ, "SLACK_BOT_TOKEN": slack.token, "SOAK_X_TOKEN": X_TOKEN, "HF_HUB_OFFLINE": "1",
           "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    return Instance(index, proc, log)


def _wait_running(procs: list[Instance], timeout: float = 300.0) -> None:
    """Posts start once every instance's scheduler runs (imports take a while on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all("brand-monitor running" in p.log.read_text(errors="replace") for p in procs):
            return
        if any(p.proc.poll() is not None for p in procs):
            raise RuntimeError("an instance exited at start-up: " + ", ".join(str(p.log) for p in procs))
        time.sleep(0.5)
    raise RuntimeError("instances did not start in time")


def kill_connections(db_url: str) -> int:
    """Terminate every backend of the soak database (what a failover does to the daemons)."""
    with psycopg.connect(db_url.replace("+psycopg", ""), autocommit=True) as admin:
        return len(admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall())


def run(*, posts: int, duration: float, instances: int, faults: bool, model: Path, seed: int) -> Result:
    """One soak run on a fresh database; returns its figures."""
    rng = random.Random(seed)
    result = Result()
    negative, texts = negative_templates(model)
    keep = os.environ.get("SOAK_KEEP")
    workspace = tempfile.TemporaryDirectory(prefix="soak-") if not keep else _Kept(keep)
    with workspace as tmp, fresh_postgres() as db_url, IndexedX() as x, TimedSlack() as slack:
        workdir = Path(tmp)
        config = write_config(workdir / "soak.toml", db_url=db_url, model=model, x_url=x.base_url,
                              slack_url=slack.base_url)
        started = time.monotonic()
        procs = [start_instance(i, config, slack, workdir) for i in range(instances)]
        _wait_running(procs)
        started = time.monotonic()
        result.fed_from = started
        stop = threading.Event()
        fed: list[int] = []
        feeder = threading.Thread(target=lambda: fed.append(
            feed(x, posts=posts, duration=duration, texts=texts, negative=negative, stop=stop, rng=rng)))
        feeder.start()
        schedule = _fault_plan(duration, instances) if faults else []
        while feeder.is_alive():
            elapsed = time.monotonic() - started
            while schedule and schedule[0][0] <= elapsed:
                _, what = schedule.pop(0)
                result.faults.append(f"{elapsed:6.1f}s {_inject(what, x=x, slack=slack, procs=procs, db_url=db_url)}")
            for p in procs:
                if p.killed_at is None:
                    p.sample_memory()
            time.sleep(0.25)
        feeder.join()
        result.released = fed[0]
        slack.down = False
        x.clear_faults()
        deadline = time.monotonic() + max(120.0, duration)
        while time.monotonic() < deadline:
            for p in procs:
                if p.killed_at is None:
                    p.sample_memory()
            if _settled(db_url, result.released):
                break
            time.sleep(1.0)
        result.wall = time.monotonic() - started
        for p in procs:
            if p.killed_at is None:
                p.proc.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                result.faults.append(f"instance {p.index} did not stop within 120 s of SIGTERM: killed")
                p.proc.kill()
                p.proc.wait()
        _measure(result, db_url=db_url, x=x, received=slack.accepted, negative=negative)
        result.peaks_mib = [p.peak_kib / 1024 for p in procs]
        result.killed_at = next((p.killed_at for p in procs if p.killed_at is not None), None)
        for p in procs:
            text = p.log.read_text(errors="replace")
            for line in text.splitlines():
                if "took over job" in line:
                    note = line.split(": ", 1)[-1]
                    if result.killed_at is not None:
                        at = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").astimezone().timestamp()  # local
                        note += f", {at - result.killed_at:.1f}s after the SIGKILL"
                    result.takeovers.append(f"instance {p.index}: {note}")
            if p.killed_at is None and p.proc.returncode != 0:
                result.faults.append(f"instance {p.index} exited {p.proc.returncode}: see {p.log}")
    return result


class _Kept:
    def __init__(self, path: str) -> None:
        self.path = path

    def __enter__(self) -> str:
        Path(self.path).mkdir(parents=True, exist_ok=True)
        return self.path

    def __exit__(self, *exc: object) -> None:
        pass


def _fault_plan(duration: float, instances: int) -> list[tuple[float, str]]:
    plan = [
        (0.15, "x-500"), (0.25, "slack-429"), (0.30, "x-429"), (0.40, "slack-500"), (0.45, "x-timeout"),
        (0.55, "db-kill"), (0.70, "slack-down"), (0.73, "slack-up"), (0.80, "x-malformed"),
    ]
    if instances > 1:
        plan.append((0.50, "sigkill"))
    return sorted((duration * at, what) for at, what in plan)


def _inject(what: str, *, x: IndexedX, slack: FakeSlack, procs: list[Instance], db_url: str) -> str:
    if what == "x-500":
        x.fault("500", times=3)
    elif what == "x-429":
        x.fault("429")
    elif what == "x-timeout":
        x.fault("timeout", times=2)
    elif what == "x-malformed":
        x.fault("malformed", times=3)
    elif what == "slack-429":
        slack.faults.append(Fault("429", retry_after=2))
    elif what == "slack-500":
        slack.faults.extend([Fault("500"), Fault("500")])
    elif what == "slack-down":
        slack.down = True
    elif what == "slack-up":
        slack.down = False
    elif what == "db-kill":
        return f"db-kill: {kill_connections(db_url)} connections terminated"
    elif what == "sigkill":
        victim = procs[0]
        victim.sample_memory()
        victim.proc.send_signal(signal.SIGKILL)
        victim.killed_at = time.time()
        return f"sigkill: instance 0 (pid {victim.proc.pid})"
    return what


def _settled(db_url: str, released: int) -> bool:
    with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
        stored = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        waiting = conn.execute("SELECT count(*) FROM posts WHERE classified_at IS NULL").fetchone()[0]
        open_rows = conn.execute("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')").fetchone()[0]
    return stored >= released and waiting == 0 and open_rows == 0


def _measure(result: Result, *, db_url: str, x: IndexedX, received: dict[str, list[float]], negative: set[str]) -> None:
    with psycopg.connect(db_url.replace("+psycopg", "")) as conn:
        result.ingested = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        result.classified = conn.execute("SELECT count(*) FROM posts WHERE classified_at IS NOT NULL").fetchone()[0]
        result.undelivered_rows = conn.execute("SELECT count(*) FROM outbox WHERE status <> 'sent'").fetchone()[0]
        outbox_keys = {k for (k,) in conn.execute("SELECT dedup_key FROM outbox")}
    stored_ids = {t["id"] for t in x.tweets}
    expected = set()
    for tweet in x.tweets:
        if tweet["text"] in negative:
            brand = next(b for b, term in BRANDS.items() if term in tweet["text"].lower())
            expected.add(f"negative:{brand}:x:{tweet['id']}")
    result.expected_alerts = len(expected)
    result.delivered = len(received)
    result.duplicates = sum(len(times) - 1 for times in received.values())
    result.lost_alerts = len(expected - set(received)) + len((outbox_keys - expected) - set(received))
    result.lost_posts = len(stored_ids) - result.ingested
    for key in expected & set(received):
        tweet_id = key.rsplit(":", 1)[1]
        result.latencies.append(received[key][0] - x.appeared[tweet_id])
        result.latency_at.append(x.appeared[tweet_id] - result.fed_from)


def report(name: str, r: Result) -> None:
    """Print one run's figures."""
    lat = sorted(r.latencies)
    p95 = lat[int(0.95 * (len(lat) - 1))] if lat else float("nan")
    median = statistics.median(lat) if lat else float("nan")
    print(f"== {name} ==")
    print(f"posts released {r.released}, ingested {r.ingested}, classified {r.classified}, lost {r.lost_posts}")
    print(f"alerts expected {r.expected_alerts} (negative posts), delivered {r.delivered} (incl. spike alerts),"
          f" duplicates {r.duplicates}, losses {r.lost_alerts}, outbox rows not sent {r.undelivered_rows}")
    print("peak memory per instance (VmHWM): " + ", ".join(f"{m:.0f} MiB" for m in r.peaks_mib))
    print(f"latency post appears -> alert sent: median {median:.2f}s, p95 {p95:.2f}s, max {lat[-1] if lat else 0:.2f}s")
    if r.latencies:
        span = max(r.latency_at) or 1.0
        tenths: list[list[float]] = [[] for _ in range(10)]
        for at, latency in zip(r.latency_at, r.latencies, strict=True):
            tenths[min(9, int(10 * at / span))].append(latency)
        print("median latency by tenth of the day: "
              + " ".join(f"{statistics.median(t):.1f}s" if t else "-" for t in tenths))
    print(f"wall time {r.wall:.0f}s")
    for line in r.faults:
        print(f"  fault {line}")
    for line in r.takeovers:
        print(f"  {line}")


def main() -> int:
    """Run the baseline and the soak, print both."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=180.0, help="wall seconds the simulated day takes")
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--baseline-posts", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    if not postgres_available():
        print("PostgreSQL is not reachable on 127.0.0.1:5432 (set BRAND_MONITOR_TEST_PG)", file=sys.stderr)
        return 2
    from tests.support.tiny_model import build_tiny_model

    with tempfile.TemporaryDirectory(prefix="soak-model-") as tmp:
        model = build_tiny_model(Path(tmp), fit=True)
        print(f"machine: {os.cpu_count()} CPUs visible, shared with other work; load average {os.getloadavg()[0]:.1f}")
        if args.baseline_posts:
            base = run(posts=args.baseline_posts, duration=max(20.0, args.duration * args.baseline_posts / args.posts),
                       instances=1, faults=False, model=model, seed=args.seed)
            report(f"baseline: 1 instance, no faults, {args.baseline_posts} posts", base)
        soak = run(posts=args.posts, duration=args.duration, instances=args.instances, faults=True, model=model,
                   seed=args.seed)
        report(f"soak: {args.instances} instances, faults, {args.posts} posts over a simulated day", soak)
    ok = soak.duplicates == 0 and soak.lost_alerts == 0 and soak.lost_posts == 0 and soak.undelivered_rows == 0
    print("RESULT:", "OK (no losses, no duplicates)" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
