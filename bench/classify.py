"""Classifier throughput, load time and peak memory: naive pipeline vs our backends, one subprocess each.

    .venv/bin/python bench/classify.py [--model DIR] [--posts 1000] [--long-posts 100] [--workdir DIR]

Without --model it builds a model of the production architecture (XLM-RoBERTa base: 12 layers,
hidden 768, vocab 250002) with random weights and a tokenizer trained on the fly: speed does not
depend on weight values. With --model (e.g. a local copy of cardiffnlp/twitter-xlm-roberta-base-sentiment)
it measures that model. Either way it exports ONNX fp32 + int8 with `brand-monitor model export`
(which also reports int8 vs fp32 agreement) and then runs each backend in its own process, so peak
RSS (getrusage ru_maxrss) and load time belong to that backend alone:

  naive        transformers pipeline("text-classification"), one post per call (the baseline)
  transformers ours, PyTorch: length-sorted buckets, dynamic padding, inference_mode, threads = cores
  onnx-fp32    ours on ONNX Runtime, fp32 export
  onnx-int8    ours on ONNX Runtime, dynamically quantised int8 export
  cli-int8     `brand-monitor classify --model model.int8.onnx` as a user runs it: posts piped in as JSON lines,
               answers read back; timed from the answer to a warm-up batch (load excluded) to the last answer
  daemon-int8  the daemon's classify job on the int8 file: the posts stored in SQLite as a poll stores them,
               then Pipeline.classify_pending (read the unlabelled posts, classify, store labels, run the alert
               and reply-queue rules), timed after a warm-up batch went the same way

Each worker classifies the same posts: `--posts` short social posts (tweet length) and
`--long-posts` Reddit-length ones, after a warm-up of a few posts. Our backends are called with
`--call-size` posts per classify() call, as the daemon's classify step does (batch_size).

At the end it prints the int8 roofline for short posts: the MatMul probe's int8 GMAC/s over the model's
multiply-adds per post (from its config.json and the mean tokens per post), and the fraction of it each
backend reaches; and the hit rate and effective posts/s of the classify-once cache on the real recorded X
and Reddit pages in ../shared/data/recorded-api (--no-recorded skips it).

First it measures what this CPU gives int8 at all: one 1280 x 768 x 3072 MatMul (a feed-forward layer
on a batch of short posts) in ONNX Runtime, fp32 against dynamically quantised int8, run for 8 windows of
a quarter second each after a warm-up window; the best window is the machine's rate (its min and median
are printed beside it). Without VNNI
(AVX-512 VNNI, AVX-VNNI) or AMX, int8 multiplies run on the same vector ports as fp32 ones and the
int8 backend cannot be much faster than fp32, whatever else is done.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from social_posts import social_posts, tokenizer_corpus  # noqa: E402

PROBE_WINDOWS, PROBE_WINDOW_S = 8, 0.25  # the MatMul probe: timed windows per precision, seconds each
BACKENDS = ("naive", "transformers", "onnx-fp32", "onnx-int8", "cli-int8", "daemon-int8")
LABELS = {0: "negative", 1: "neutral", 2: "positive"}


def build_base_model(directory: Path, *, vocab_size: int = 8000) -> Path:
    """XLM-RoBERTa base with random weights, a 3-label head, and a Unigram tokenizer trained on the fly."""
    import torch
    from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, trainers
    from tokenizers.models import Unigram
    from tokenizers.processors import TemplateProcessing
    from transformers import PreTrainedTokenizerFast, XLMRobertaConfig, XLMRobertaForSequenceClassification

    if (directory / "config.json").is_file():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok = Tokenizer(Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    # A small vocabulary splits words into more pieces than XLM-R's 250k SentencePiece model would,
    # so token counts (and the work per post) err on the high side; the bench prints them.
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>")
    tok.train_from_iterator(tokenizer_corpus(), trainer=trainer)
    tok.post_processor = TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", tok.token_to_id("<s>")), ("</s>", tok.token_to_id("</s>"))],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", sep_token="</s>",
        cls_token="<s>", pad_token="<pad>", mask_token="<mask>", model_max_length=512,
    )
    fast.save_pretrained(directory)
    torch.manual_seed(0)
    config = XLMRobertaConfig(  # xlm-roberta-base, as in the cardiffnlp model's config.json
        vocab_size=250002, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
        max_position_embeddings=514, type_vocab_size=1, pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id, layer_norm_eps=1e-5,
        num_labels=3, id2label=LABELS, label2id={v: k for k, v in LABELS.items()},
    )
    XLMRobertaForSequenceClassification(config).eval().save_pretrained(directory)
    return directory


def worker(args: argparse.Namespace) -> None:
    """Load one backend, classify the posts, print one JSON line of figures."""
    from models.runtime import peak_rss_mb, threads_for

    short = social_posts(args.posts)
    long = social_posts(args.long_posts, long=True)
    if args.worker == "cli-int8":
        print(json.dumps(cli_run(args, short)), flush=True)
        return
    if args.worker == "daemon-int8":
        print(json.dumps(daemon_run(args, short)), flush=True)
        return
    started = time.perf_counter()
    if args.worker == "naive":
        import torch
        from transformers import pipeline

        torch.set_num_threads(threads_for(args.threads))
        pipe = pipeline("text-classification", model=args.model_dir, device="cpu")

        def classify(texts: list[str]) -> None:
            for text in texts:
                pipe(text, truncation=True)
    else:
        from models.loading import load_classifier
        from models.settings import ClassifierSettings

        onnx = {"onnx-fp32": "model.onnx", "onnx-int8": "model.int8.onnx"}.get(args.worker)
        settings = ClassifierSettings(
            model=args.model_dir,
            backend="onnx" if onnx else "transformers",
            onnx_model=str(Path(args.onnx_dir) / onnx) if onnx else None,
            device="cpu",
            threads=args.threads,
            batch_size=args.batch_size,
            **({"batch_tokens": args.batch_tokens} if args.batch_tokens else {}),
            max_length=512,
            cache_size=0,  # model speed: the synthetic posts repeat a little (9 % at 1,000); the cache is run apart
        )
        classifier = load_classifier(settings)

        def classify(texts: list[str]) -> None:
            for start in range(0, len(texts), args.call_size):
                classifier.classify(texts[start : start + args.call_size])

    load_s = time.perf_counter() - started
    classify(short[:8])  # warm-up: first-call allocations and kernel selection
    figures = {"backend": args.worker, "load_s": round(load_s, 2), "torch_imported": "torch" in sys.modules}
    for name, texts in (("short", short), ("long", long)):
        if not texts:
            continue
        started = time.perf_counter()
        classify(texts)
        seconds = time.perf_counter() - started
        rate = round(len(texts) / seconds, 1)
        figures[name] = {"posts": len(texts), "seconds": round(seconds, 2), "posts_per_s": rate,
                         "peak_rss_mb_so_far": round(peak_rss_mb())}
    if args.worker != "naive" and args.recorded:
        figures["recorded"] = recorded_run(classifier, classify)
    figures["peak_rss_mb"] = round(peak_rss_mb())
    figures["vm_hwm_mb"] = round(_vm_hwm_mb())
    print(json.dumps(figures), flush=True)


def cli_run(args: argparse.Namespace, posts: list[str]) -> dict[str, object]:
    """``brand-monitor classify`` in its own process, fed the posts on stdin; posts/s after a warm-up batch."""
    from models.runtime import peak_rss_mb

    model = str(Path(args.onnx_dir) / "model.int8.onnx")
    config = Path(args.onnx_dir) / "bench-classify.toml"  # the model's speed, as the other backends: no cache
    config.write_text(f"[classifier]\nthreads = {args.threads}\nbatch_size = {args.batch_size}\ncache_size = 0\n")
    command = [sys.executable, "-m", "monitor", "--log-level", "WARNING", "classify", "--config", str(config),
               "--model", model]
    child = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    warm = posts[:8]
    for text in warm:
        child.stdin.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    child.stdin.flush()
    for _ in warm:
        child.stdout.readline()
    started = time.perf_counter()
    writer = threading.Thread(target=_feed, args=(child.stdin, posts))
    writer.start()
    answers = sum(1 for _ in child.stdout)
    seconds = time.perf_counter() - started
    writer.join()
    child.wait()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"backend": "cli-int8", "load_s": None, "short": {"posts": answers, "seconds": round(seconds, 2),
            "posts_per_s": round(answers / seconds, 1)}, "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "own_peak_rss_mb": round(peak_rss_mb())}


def daemon_run(args: argparse.Namespace, posts: list[str]) -> dict[str, object]:
    """The daemon's classify job (``Pipeline.classify_pending``) on the int8 file over posts stored in SQLite."""
    from datetime import UTC, datetime, timedelta

    from connectors.base import Cursor, Post
    from models.runtime import peak_rss_mb
    from monitor.bootstrap import bootstrap
    from monitor.config import parse_config
    from monitor.storage import posts as store

    now = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    database = Path(tempfile.mkdtemp(prefix="bench-daemon-")) / "bench.db"
    raw = {
        "storage": {"url": f"sqlite:///{database}"},
        "classifier": {"model": args.model_dir, "backend": "onnx", "device": "cpu", "threads": args.threads,
                       "onnx_model": str(Path(args.onnx_dir) / "model.int8.onnx"), "batch_size": args.batch_size,
                       "cache_size": 0, **({"batch_tokens": args.batch_tokens} if args.batch_tokens else {})},
        "slack": {"console": True},  # nothing is delivered: the alerts wait in the outbox, as with Slack down
        "brands": [{"name": "Acme", "terms": ["acme"], "handles": {"x": "AcmeSupport"}}],
        "replies": {"enabled": True},
    }
    app = bootstrap(parse_config(raw, env={}), clock=lambda: now, connectors={})

    def store_and_classify(texts: list[str], first: int) -> float:
        page = [Post(platform="x", post_id=str(first + i), author=f"user{i % 97}", text=f"acme {text}",
                     created_at=now - timedelta(seconds=i)) for i, text in enumerate(texts)]
        with app.engine.begin() as conn:
            store.store_page(conn, source="x", brand="Acme", posts_in=page, cursor=Cursor(None), brand_handles=(),
                             now=now)
        started = time.perf_counter()
        done = app.pipeline.classify_pending()
        assert done == len(texts), f"classified {done} of {len(texts)}"
        return time.perf_counter() - started

    load = store_and_classify(posts[:8], 1_000_000)  # loads the model (lazily, as the daemon does) and warms up
    seconds = store_and_classify(posts, 0)
    app.engine.dispose()
    return {"backend": "daemon-int8", "load_s": round(load, 2), "short": {"posts": len(posts),
            "seconds": round(seconds, 2), "posts_per_s": round(len(posts) / seconds, 1),
            "peak_rss_mb_so_far": round(peak_rss_mb())}, "peak_rss_mb": round(peak_rss_mb()),
            "vm_hwm_mb": round(_vm_hwm_mb())}


def _feed(stdin: object, posts: list[str]) -> None:
    for text in posts:
        stdin.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")  # type: ignore[attr-defined]
    stdin.close()  # type: ignore[attr-defined]


def recorded_run(classifier: object, classify: object) -> dict[str, object]:
    """The real recorded X and Reddit texts through the classifier, without the cache and then with a fresh one
    (the default size): the hit rate and the posts/s each way."""
    from recorded_texts import recorded_texts

    from models.cache import SentimentCache

    out: dict[str, object] = {}
    for platform, texts in recorded_texts().items():
        figures: dict[str, float] = {"posts": len(texts)}
        for name, size in (("uncached", 0), ("cached", 20_000)):
            cache = classifier.cache = SentimentCache(size)  # type: ignore[attr-defined]
            started = time.perf_counter()
            classify(texts)  # type: ignore[operator]
            figures[f"{name}_posts_per_s"] = round(len(texts) / (time.perf_counter() - started), 1)
        figures["hit_rate"] = round(cache.hit_rate(), 3)
        out[platform] = figures
    return out


def _vm_hwm_mb() -> float:
    """Peak RSS of this process image (/proc VmHWM): a cross-check on ru_maxrss, which exec can inherit."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def gemm_check(args: argparse.Namespace) -> None:
    """GMAC/s of one feed-forward-sized MatMul in ONNX Runtime, fp32 and dynamic int8, on this CPU."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from models.runtime import threads_for

    rows, inner, outer = 1280, 768, 3072  # 32 posts x 40 tokens through the first FFN projection
    weights = np.random.default_rng(0).standard_normal((inner, outer)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "ffn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, inner])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, outer])],
        [numpy_helper.from_array(weights, "w")],
    )
    with tempfile.TemporaryDirectory() as scratch:
        fp32, int8 = Path(scratch) / "mm.onnx", Path(scratch) / "mm.int8.onnx"
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(fp32))
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads_for(args.threads)
        x = np.random.default_rng(1).standard_normal((rows, inner)).astype(np.float32)
        rates, spread = {}, {}
        for name, path in (("fp32", fp32), ("int8", int8)):
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            # Timed in windows of a quarter second after a warm-up one, best window kept: ten runs (30 ms of
            # int8 on an AMX machine) read 550-955 GMAC/s where the sustained rate was 1,100-1,400, since
            # the first windows of a process ran at half speed.
            windows = []
            for _ in range(PROBE_WINDOWS + 1):
                started, runs = time.perf_counter(), 0
                while (elapsed := time.perf_counter() - started) < PROBE_WINDOW_S:
                    session.run(None, {"x": x})
                    runs += 1
                windows.append(rows * inner * outer * runs / elapsed / 1e9)
            timed = windows[1:]
            rates[name] = round(max(timed), 1)
            spread[name] = [round(min(timed), 1), round(statistics.median(timed), 1)]
    flags = set(Path("/proc/cpuinfo").read_text().split()) if Path("/proc/cpuinfo").is_file() else set()
    wanted = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")
    found = [f for f in wanted if f in flags]
    vnni = any(f in found for f in ("avx512_vnni", "avx_vnni", "amx_int8"))
    print(json.dumps({"gmac_per_s": rates, "min_median": spread, "cpu_flags": found, "vnni": vnni,
                      "amx": "amx_int8" in found}))


def macs_per_token(model_dir: str, tokens: float) -> float:
    """Multiply-adds per token of an encoder of ``model_dir``'s shape at ``tokens`` tokens a post: the four
    attention projections and the two feed-forward ones, plus attention scores and their use on values."""
    config = json.loads((Path(model_dir) / "config.json").read_text())
    hidden, inner, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    per_layer = 4 * hidden * hidden + 2 * hidden * inner + 2 * tokens * hidden
    return layers * per_layer


def prepare(args: argparse.Namespace) -> None:
    """Build the model if none was given and count tokens, in a child process, so the parent stays small."""
    started = time.perf_counter()
    model_dir = Path(args.model) if args.model else build_base_model(Path(args.workdir) / "xlmr-base-random")
    counts = token_counts(str(model_dir), args.posts, args.long_posts)
    print(json.dumps({"model_dir": str(model_dir), "seconds": round(time.perf_counter() - started), "tokens": counts}))


def token_counts(model_dir: str, posts: int, long_posts: int) -> dict[str, float]:
    """Mean tokens per post in each set, as the model's tokenizer cuts them."""
    from transformers import AutoTokenizer

    from models.preprocess import normalise

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    out = {}
    for name, texts in (("short", social_posts(posts)), ("long", social_posts(long_posts, long=True))):
        if texts:
            ids = tokenizer([normalise(t, max_chars=6000) for t in texts], truncation=True, max_length=512)["input_ids"]
            out[name] = round(sum(map(len, ids)) / len(ids), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a local sentiment model directory (default: random XLM-R base, built here)")
    parser.add_argument("--posts", type=int, default=1000, help="short posts (default 1000)")
    parser.add_argument("--long-posts", type=int, default=100, help="Reddit-length posts (default 100)")
    parser.add_argument("--threads", type=int, default=0, help="threads per backend (default: one per core)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--call-size", type=int, default=32, help="posts per classify() call (default 32)")
    parser.add_argument("--batch-tokens", type=int, default=0,
                        help="[classifier] batch_tokens for our backends (default: the setting's default)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated subset to run")
    parser.add_argument("--workdir", help="where the built model and ONNX files go (default: a temp dir, kept)")
    parser.add_argument("--no-recorded", dest="recorded", action="store_false",
                        help="skip the cache run on the recorded X and Reddit pages in ../shared/data")
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--gemm-check", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    parser.add_argument("--onnx-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    if args.prepare:
        prepare(args)
        return
    if args.gemm_check:
        gemm_check(args)
        return

    # The parent imports nothing heavy and builds nothing itself: a child's ru_maxrss starts from the
    # parent's high-water mark at exec, so a big parent would inflate every backend's figure.
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench-classify-"))
    print(f"machine: {os.cpu_count()} CPUs visible, {len(os.sched_getaffinity(0))} usable; load {os.getloadavg()}")
    gemm = probe(args)
    if gemm:
        rates = gemm["gmac_per_s"]
        print(f"int8 on this CPU: one FFN MatMul runs {rates['fp32']} GMAC/s in fp32, {rates['int8']} in int8 "
              f"({rates['int8'] / rates['fp32']:.1f}x; best window, min and median {gemm['min_median']}); "
              f"CPU flags {gemm['cpu_flags']}; "
              f"VNNI machine: {machine_kind(gemm)}")
    cmd = [sys.executable, __file__, "--prepare", "--workdir", str(workdir), "--posts", str(args.posts),
           "--long-posts", str(args.long_posts), *(["--model", args.model] if args.model else [])]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"preparing the model failed:\n{done.stderr[-3000:]}")
    ready = json.loads(done.stdout.strip().splitlines()[-1])
    model_dir = Path(ready["model_dir"])
    what = "given model" if args.model else "random-weight XLM-R base (production architecture)"
    print(f"model: {model_dir} ({what}); ready in {ready['seconds']}s")
    print(f"mean tokens per post: {ready['tokens']}")
    onnx_dir = workdir / "onnx"
    backends = args.backends.split(",")
    if any(b.startswith(("onnx", "cli", "daemon")) for b in backends) and not (onnx_dir / "model.int8.onnx").is_file():
        done = subprocess.run(
            [sys.executable, "-m", "monitor", "--log-level", "WARNING", "model", "export",
             "--model", str(model_dir), "--output", str(onnx_dir)],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
        if done.returncode not in (0, 1):
            sys.exit(f"export failed:\n{done.stderr[-3000:]}")
        report = json.loads(done.stdout)
        print(f"export: {report['export_seconds']}s, sizes {report['size_mb']} MiB, "
              f"int8 vs fp32: {report['agreement']}")

    results = {}
    before = gemm
    for backend in backends:
        cmd = [sys.executable, __file__, "--worker", backend, "--model-dir", str(model_dir),
               "--onnx-dir", str(onnx_dir), "--posts", str(args.posts), "--long-posts", str(args.long_posts),
               "--threads", str(args.threads), "--batch-tokens", str(args.batch_tokens),
               "--batch-size", str(args.batch_size), "--call-size", str(args.call_size),
               *([] if args.recorded else ["--no-recorded"])]
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{backend}: FAILED\n{done.stderr[-2000:]}")
            continue
        results[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        # The probe again right after each backend: this machine's speed drifts by a quarter within minutes
        # (shared cores), so each backend is also scored against the probes taken just before and after it.
        after = probe(args)
        results[backend]["probe_int8"] = [p["gmac_per_s"]["int8"] for p in (before, after) if p]
        before = after
        print(f"  {backend}: {results[backend]}", flush=True)
    report_table(results)
    report_roofline(results, gemm, macs_per_token(str(model_dir), ready["tokens"].get("short", 40.0)),
                    ready["tokens"].get("short", 40.0))
    report_cache(results)


def probe(args: argparse.Namespace) -> dict:
    """The MatMul probe (``gemm_check``) in its own process; {} when it fails."""
    done = subprocess.run([sys.executable, __file__, "--gemm-check", "--threads", str(args.threads)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"int8 GEMM check failed:\n{done.stderr[-1500:]}")
        return {}
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine_kind(gemm: dict) -> str:
    """Whether the probe ran on VNNI, and whether on AMX, whose int8 tile units run the probe's MatMul about
    three times as fast as AVX-512 VNNI while attention, GELU and LayerNorm gain nothing: the roofline there
    counts only the part that got faster (docs/classifier.md, "Figures on an AMX machine")."""
    if gemm.get("amx"):
        return "yes, with AMX (the roofline is its tile units' MatMul rate)"
    return "yes" if gemm.get("vnni") else "no"


def report_roofline(results: dict[str, dict], gemm: dict, macs: float, tokens: float) -> None:
    """The int8 roofline for short posts (the MatMul probe's int8 rate over the model's work per post) and the
    fraction of it each backend reaches: against the first probe, and against the mean of the probes taken
    just before and after that backend ran."""
    int8_rate = gemm.get("gmac_per_s", {}).get("int8")
    if not int8_rate:
        return
    per_post = macs * tokens / 1e9  # GMAC per short post
    roofline = int8_rate / per_post
    print(f"\nint8 roofline, short posts: {int8_rate} GMAC/s / ({macs / 1e6:.1f} M multiply-adds per token x "
          f"{tokens} tokens) = {roofline:.1f} posts/s (VNNI machine: {machine_kind(gemm)})")
    for name, r in results.items():
        rate = r.get("short", {}).get("posts_per_s")
        if not rate:
            continue
        line = f"  {name:<13} {rate:>7} posts/s = {rate / roofline:.0%} of the int8 roofline"
        if probes := r.get("probe_int8"):
            local = sum(probes) / len(probes) / per_post
            line += f"; {rate / local:.0%} of {local:.1f} posts/s from the probes beside it ({probes} GMAC/s)"
        print(line)
    int8_rows = {n: r["short"]["posts_per_s"] / roofline for n, r in results.items()
                 if n.endswith("int8") and r.get("short", {}).get("posts_per_s")}
    if int8_rows:
        low, high = min(int8_rows.values()), max(int8_rows.values())
        print(f"  int8 rows ({', '.join(int8_rows)}): {low:.0%}-{high:.0%} of the int8 roofline "
              f"(target >= 60 % in every row: {'met' if low >= 0.6 else 'not met'})")


def report_cache(results: dict[str, dict]) -> None:
    """Hit rate of the classify-once cache on real recorded pages, and the posts/s it gives."""
    for name, r in results.items():
        for platform, figures in r.get("recorded", {}).items():
            print(f"cache on recorded {platform} ({figures['posts']} posts), {name}: hit rate "
                  f"{figures['hit_rate']:.0%}, {figures['cached_posts_per_s']} posts/s effective against "
                  f"{figures['uncached_posts_per_s']} without the cache")


def report_table(results: dict[str, dict]) -> None:
    """The figures side by side, with the speed-up over the naive pipeline."""
    base = results.get("naive", {})
    print(f"\n{'backend':<13} {'load s':>7} {'peak RSS MiB':>13} {'VmHWM MiB':>10} "
          f"{'short posts/s':>14} {'x naive':>8} {'long posts/s':>13} {'x naive':>8}")
    for name, r in results.items():
        cells = []
        for kind in ("short", "long"):
            rate = r.get(kind, {}).get("posts_per_s")
            ref = base.get(kind, {}).get("posts_per_s")
            width = 14 if kind == "short" else 13
            shown = "-" if rate is None else rate  # no long posts asked for (--long-posts 0)
            cells += [f"{shown:>{width}}", f"{rate / ref:>7.1f}x" if rate and ref else f"{'-':>8}"]
        print(f"{name:<13} {r['load_s'] or '-':>7} {r['peak_rss_mb']:>13} {r.get('vm_hwm_mb', '-'):>10} "
              f"{cells[0]} {cells[1]} {cells[2]} {cells[3]}")
    if "onnx-int8" in results and "onnx-fp32" in results:
        int8, fp32 = results["onnx-int8"], results["onnx-fp32"]
        ratio = int8["peak_rss_mb"] / fp32["peak_rss_mb"]
        print(f"\nint8 peak RSS / fp32 ONNX peak RSS = {ratio:.2f} (target < 0.5), whole run")
        if "short" in int8 and "short" in fp32:
            short = int8["short"]["peak_rss_mb_so_far"] / fp32["short"]["peak_rss_mb_so_far"]
            print(f"  after the short posts only: {int8['short']['peak_rss_mb_so_far']} / "
                  f"{fp32['short']['peak_rss_mb_so_far']} MiB = {short:.2f}")
    if base:
        ours = [r for n, r in results.items() if n != "naive"]
        best = max(ours, key=lambda r: r["short"]["posts_per_s"], default=None)
        if best:
            print(f"best backend on short posts: {best['backend']}, "
                  f"{best['short']['posts_per_s'] / base['short']['posts_per_s']:.1f}x naive")


if __name__ == "__main__":
    main()
