"""`brand-monitor classify` and `brand-monitor model export` (ONNX fp32 + int8) on the tiny model."""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from models.export import ExportedModel
from models.loading import load_classifier
from models.settings import ClassifierSettings
from monitor.cli import main
from tests.support.tiny_model import TRAINING

ROOT = Path(__file__).resolve().parents[2]


def _config(tmp_path: Path, classifier: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[classifier]\n{classifier}\n[[brands]]\nname = "Acme"\nterms = ["acme"]\n', encoding="utf-8")
    return path


def _run(monkeypatch, capsys, argv: list[str], stdin: str = "") -> tuple[int, list[str], str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_classify_reads_json_and_plain_lines_and_writes_json_lines(tmp_path, tiny_model_dir, monkeypatch, capsys):
    config = _config(tmp_path, f'model = "{tiny_model_dir}"\nbatch_size = 2')
    lines = [
        json.dumps({"text": TRAINING[0][0]}),
        TRAINING[2][0],
        json.dumps({"text": TRAINING[3][0]}, ensure_ascii=False),
        json.dumps({"text": ""}),
        json.dumps({"text": TRAINING[6][0], "id": "42"}),
    ]
    code, out, _ = _run(monkeypatch, capsys, ["classify", "--config", str(config)], "\n".join(lines) + "\n")
    assert code == 0
    rows = [json.loads(line) for line in out]
    assert len(rows) == 5
    assert set(rows[0]) == {"line", "label", "score", "negative", "lang", "low_confidence"}
    assert [r["label"] for r in rows] == ["negative", "negative", "negative", "neutral", "positive"]
    assert [r["lang"] for r in rows[:3]] == ["en", "ru", "fa"]
    unreadable = {"line": 4, "label": "neutral", "score": 0.0, "negative": 0.0, "lang": None, "low_confidence": True}
    assert rows[3] == unreadable
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 5] and rows[4]["id"] == "42"
    assert all(0.0 <= r["score"] <= 1.0 and isinstance(r["low_confidence"], bool) for r in rows)


def test_classify_answers_bad_records_with_their_line_and_a_clear_error(tmp_path, tiny_model_dir, monkeypatch, capsys):
    config = _config(tmp_path, f'model = "{tiny_model_dir}"')
    lines = [
        json.dumps({"id": 7, "text": TRAINING[0][0]}),
        "",
        json.dumps({"txt": "typo in the key", "id": "a"}),
        json.dumps({"text": 5}),
        "{not json at all",
        "{}",
        "   ",
        TRAINING[6][0],
    ]
    code, out, err = _run(monkeypatch, capsys, ["classify", "--config", str(config)], "\n".join(lines) + "\n")
    rows = [json.loads(line) for line in out]
    assert code == 0 and len(rows) == len(lines)
    assert rows[0]["id"] == 7 and rows[0]["label"] == "negative" and rows[7]["label"] == "positive"
    errors = {r["line"]: r for r in rows if "error" in r}
    assert sorted(errors) == [2, 3, 4, 5, 6, 7]
    assert all("label" not in r for r in errors.values())
    assert "blank line" in errors[2]["error"] and "blank line" in errors[7]["error"]
    assert errors[3]["id"] == "a" and 'no "text" field (keys: id, txt)' in errors[3]["error"]
    assert '"text" must be a string, got int' in errors[4]["error"]
    assert "not valid JSON" in errors[5]["error"] and 'no "text" field (keys: none)' in errors[6]["error"]
    assert "6 could not be" in err


def test_classify_survives_lone_surrogates_and_echoes_the_given_id(tmp_path, tiny_model_dir, monkeypatch, capsys):
    # "\ud800" is a valid JSON escape with no UTF-8 form: a real stdout cannot print it, fastText cannot read it.
    config = _config(tmp_path, f'model = "{tiny_model_dir}"')
    text = TRAINING[0][0]
    lines = [
        '{"id": "\\ud800", "text": "\\ud800' + text + '\\u0000"}',
        '{"id": {"k\\udcff": 1}, "nope\\ud800": "x"}',
        json.dumps({"id": 3, "text": text}),
    ]
    code, out, _ = _run(monkeypatch, capsys, ["classify", "--config", str(config)], "\n".join(lines) + "\n")
    for line in out:
        line.encode("utf-8")  # what a real stdout does with it
    rows = [json.loads(line) for line in out]
    assert code == 0 and [r["line"] for r in rows] == [1, 2, 3]
    assert rows[0]["id"] == "\ud800" and rows[1]["id"] == {"k\udcff": 1}
    assert (rows[0]["label"], rows[0]["negative"]) == (rows[2]["label"], rows[2]["negative"])
    assert 'no "text" field' in rows[1]["error"]


def test_classify_needs_no_brands_and_takes_model(tmp_path, tiny_model_dir, monkeypatch, capsys):
    config = tmp_path / "only-classifier.toml"
    config.write_text('[classifier]\nmodel = "nowhere"\n', encoding="utf-8")
    argv = ["classify", "--config", str(config), "--model", str(tiny_model_dir)]
    code, out, _ = _run(monkeypatch, capsys, argv, TRAINING[0][0] + "\n")
    assert code == 0 and json.loads(out[0])["label"] == "negative"
    monkeypatch.chdir(tmp_path)  # no config file at all: the defaults, with --model
    monkeypatch.delenv("BRAND_MONITOR_CONFIG", raising=False)
    code, out, _ = _run(monkeypatch, capsys, ["classify", "--model", str(tiny_model_dir)], TRAINING[6][0] + "\n")
    assert code == 0 and json.loads(out[0])["label"] == "positive"
    config.write_text("[classifier]\nbatch_size = 0\n", encoding="utf-8")
    code, out, err = _run(monkeypatch, capsys, ["classify", "--config", str(config)], "hello\n")
    assert code == 2 and out == [] and "classifier.batch_size" in err


def test_classify_answers_each_line_while_the_input_stays_open(tmp_path, tiny_model_dir):
    """A batch closes when input pauses: line 1's answer comes before line 2 is written, not at EOF."""
    import os
    import threading

    from models.stream import classify_stream

    classifier = load_classifier(ClassifierSettings(model=str(tiny_model_dir)))
    read_end, write_end = os.pipe()
    source = os.fdopen(read_end, encoding="utf-8")
    sink = os.fdopen(write_end, "w", encoding="utf-8")
    answers: queue.Queue[str] = queue.Queue()
    worker = threading.Thread(target=classify_stream, args=(source, classifier, answers.put), kwargs={"batch_size": 32})
    worker.start()
    try:
        for number, (text, label) in enumerate(TRAINING[:3], start=1):
            sink.write(text + "\n")
            sink.flush()
            answer = json.loads(answers.get(timeout=30))  # the pipe is still open: no EOF has been seen
            assert answer["line"] == number and answer["label"] == ("negative", "neutral", "positive")[label]
    finally:
        sink.close()
        worker.join(timeout=30)
    assert not worker.is_alive() and answers.empty()


def test_classify_with_a_bad_model_path_says_so_without_a_traceback(tmp_path, monkeypatch, capsys):
    config = _config(tmp_path, f'model = "{tmp_path / "no-such-model"}"')
    code, out, err = _run(monkeypatch, capsys, ["classify", "--config", str(config)], "hello\n")
    assert code == 1 and out == []
    assert "no-such-model" in err and "does not exist" in err and "Traceback" not in err
    config = _config(tmp_path, f'backend = "onnx"\nonnx_model = "{tmp_path / "m.onnx"}"')
    code, _, err = _run(monkeypatch, capsys, ["classify", "--config", str(config)], "hello\n")
    assert code == 1 and "brand-monitor model export" in err and "Traceback" not in err


@pytest.fixture(scope="module")
def exported(tiny_model_dir, tmp_path_factory) -> tuple[dict, Path]:
    output = tmp_path_factory.mktemp("onnx")
    stdout, stderr = io.StringIO(), io.StringIO()
    real = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    try:
        argv = ["--log-level", "WARNING", "model", "export", "--model", str(tiny_model_dir), "--output", str(output)]
        code = main(argv)
    finally:
        sys.stdout, sys.stderr = real
        os.environ.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)  # set by --log-level WARNING; later tests start clean
    assert code == 0, stderr.getvalue()
    report = json.loads(stdout.getvalue())
    report["stderr"] = stderr.getvalue()
    return report, output


def test_export_at_warning_level_prints_no_progress_bar_and_no_library_warning(exported) -> None:
    report, _ = exported
    assert report["stderr"] == "", report["stderr"]  # a clean export says nothing at WARNING


def test_agreement_checks_look_at_p_negative_not_only_labels() -> None:
    from models.export import correlation, same_side_of_median

    flat = np.full(10, 0.31)
    assert correlation(flat, flat) == 0.0, "a model whose outputs do not vary shows no agreement"
    varied = np.linspace(0.05, 0.95, 10)
    assert correlation(varied, varied + 0.01) == pytest.approx(1.0)
    assert same_side_of_median(varied, varied) == 1.0
    assert same_side_of_median(varied, varied[::-1]) == 0.0


@pytest.mark.slow
def test_export_writes_fp32_and_int8_and_reports_their_agreement(exported) -> None:
    report, output = exported
    assert (output / "model.onnx").is_file() and (output / "model.int8.onnx").is_file()
    assert (output / "config.json").is_file() and (output / "tokenizer.json").is_file()
    assert report["ok"] is True
    agreement = report["agreement"]
    assert agreement["posts"] >= 40 and agreement["same_label"] >= 0.95
    assert 0 <= agreement["mean_negative_diff"] <= agreement["max_negative_diff"] < 0.2
    assert agreement["negative_correlation"] >= 0.95 and agreement["same_side_of_median"] >= 0.85
    assert report["failed"] == []
    assert 'backend = "onnx"' in report["config"]


def test_export_fuses_attention_and_quantises_every_weight_matmul(exported) -> None:
    import onnx

    _, output = exported
    ops = lambda name: Counter(n.op_type for n in onnx.load(str(output / name), load_external_data=False).graph.node)  # noqa: E731
    fp32, int8 = ops("model.onnx"), ops("model.int8.onnx")
    layers = json.loads((output / "config.json").read_text())["num_hidden_layers"]
    # The last layer runs for the first token only (models/first_token.py), so it is not a fused Attention.
    assert fp32["Attention"] == layers - 1 and fp32["LayerNormalization"] >= 2 * (layers - 1)
    # Left unfused: ONNX Runtime's SkipLayerNormalization and BiasGelu kernels are the slower ones on CPU.
    assert fp32["SkipLayerNormalization"] == fp32["BiasGelu"] == 0 and fp32["Gelu"] == layers
    assert int8["QAttention"] == layers - 1 and int8["Attention"] == 0
    assert int8["MatMulInteger"] >= 3 * layers  # attention output and both feed-forward projections
    assert fp32["MatMul"] >= 5  # the last layer's query, key, value, output and first feed-forward projection
    assert not list(output.glob(".export-*")), "the traced intermediate graph is removed"


def test_the_session_does_not_fuse_back_what_export_left_unfused(exported, tmp_path) -> None:
    import onnx
    import onnxruntime as ort

    from models.onnx_backend import SLOW_FUSIONS

    _, output = exported

    def optimised_ops(name: str, disabled: list[str]) -> Counter[str]:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED  # where both fusions are
        options.optimized_model_filepath = str(tmp_path / f"optimised-{len(disabled)}-{name}")
        ort.InferenceSession(str(output / name), options, providers=["CPUExecutionProvider"],
                             disabled_optimizers=disabled)
        graph = onnx.load(options.optimized_model_filepath, load_external_data=False).graph
        return Counter(n.op_type for n in graph.node)

    # The names are ONNX Runtime's: without them the session fuses SkipLayerNormalization back into the int8
    # graph and BiasGelu into the fp32 one (int8 takes the bias into its quantised MatMul instead).
    assert optimised_ops("model.int8.onnx", [])["SkipLayerNormalization"] > 0
    assert optimised_ops("model.onnx", [])["BiasGelu"] > 0
    for name in ("model.int8.onnx", "model.onnx"):
        kept = optimised_ops(name, list(SLOW_FUSIONS))
        assert kept["SkipLayerNormalization"] == kept["BiasGelu"] == 0 and kept["LayerNormalization"] > 0


def test_a_long_batch_is_judged_by_its_feed_forward_buffer_not_its_token_count(exported, monkeypatch) -> None:
    import contextlib

    from transformers import XLMRobertaConfig

    from models import onnx_backend

    # XLM-R base, where 128 tokens was measured; large (4,096 wide) and a model without intermediate_size.
    assert onnx_backend.long_batch_tokens(XLMRobertaConfig()) == 128
    assert onnx_backend.long_batch_tokens(XLMRobertaConfig(hidden_size=1024, intermediate_size=4096)) == 96
    assert onnx_backend.long_batch_tokens(type("Narrow", (), {"hidden_size": 192})()) == 512
    assert onnx_backend.long_batch_tokens(object()) == 128

    _, output = exported
    width = json.loads((output / "config.json").read_text())["intermediate_size"]
    settings = ClassifierSettings(backend="onnx", onnx_model=str(output / "model.int8.onnx"), cache_size=0)
    classifier = load_classifier(settings)
    flags: list[bool] = []

    @contextlib.contextmanager
    def record(long: bool):
        flags.append(long)
        yield

    monkeypatch.setattr(onnx_backend, "map_long_batch_buffers", record)
    # The tiny model is 64 wide: a post at its limit of 128 tokens (run first, alone) is no long batch for it;
    # the same batch is one for a model wide enough that 100 tokens make a long batch.
    assert classifier.backend.long_batch_tokens == onnx_backend.LONG_BATCH_FFN_BYTES // (4 * width) > 512
    texts = ["short post", "word " * 200]
    classifier.classify(texts)
    assert flags == [False, False]
    flags.clear()
    classifier.backend.long_batch_tokens = 100
    classifier.classify(texts)
    assert flags == [True, False]


@pytest.mark.slow
def test_onnx_backends_match_pytorch_through_the_production_path(exported, tiny_model_dir) -> None:
    _, output = exported
    texts = [t for t, _ in TRAINING] + ["", "word " * 400]
    torch_results = load_classifier(ClassifierSettings(model=str(tiny_model_dir))).classify(texts)
    fp32 = load_classifier(ClassifierSettings(backend="onnx", onnx_model=str(output / "model.onnx"))).classify(texts)
    int8 = load_classifier(
        ClassifierSettings(backend="onnx", onnx_model=str(output / "model.int8.onnx"), batch_size=4)
    ).classify(texts)
    assert [r.label for r in fp32] == [r.label for r in torch_results]
    assert [r.negative for r in fp32] == pytest.approx([r.negative for r in torch_results], abs=1e-4)
    assert [r.lang for r in int8] == [r.lang for r in torch_results]
    assert sum(a.label == b.label for a, b in zip(int8, fp32, strict=True)) >= len(texts) - 1


@pytest.mark.slow
@pytest.mark.e2e  # a fresh interpreter: only there can "torch was never imported" be seen
def test_onnx_backend_runs_without_importing_torch(exported) -> None:
    _, output = exported
    code = (
        "import sys; from models.loading import load_classifier; from models.settings import ClassifierSettings; "
        f"c = load_classifier(ClassifierSettings(backend='onnx', onnx_model={str(output / 'model.int8.onnx')!r})); "
        f"r = c.classify([{TRAINING[0][0]!r}, '']); "
        "print(r[0].label, r[1].low_confidence, 'torch' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.split() == ["negative", "True", "False"]


@pytest.mark.slow
def test_export_fails_when_int8_disagrees_more_than_allowed(exported, heldout_file, monkeypatch, capsys) -> None:
    _, output = exported
    done = ExportedModel(output, output / "model.onnx", output / "model.int8.onnx", 0.0)
    monkeypatch.setattr("models.export_command.export_model", lambda model, out: done)  # reuse the export
    code, out, _ = _run(
        monkeypatch, capsys,
        ["model", "export", "--model", "m", "--output", str(output), "--heldout", str(heldout_file),
         "--min-agreement", "1.01"],
    )
    failed = json.loads("\n".join(out))
    assert code == 1 and failed["ok"] is False
    assert failed["agreement"]["posts"] == 3


@pytest.fixture
def heldout_file(tmp_path: Path) -> Path:
    path = tmp_path / "heldout.jsonl"
    path.write_text(json.dumps({"text": TRAINING[0][0]}) + "\nplain text post\n\n" + json.dumps({"text": "x"}) + "\n")
    return path
