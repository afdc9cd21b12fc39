"""evaluate's figures (pure), and labelled files read with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.evaluation import (
    Scored,
    calibration_error,
    confusion,
    macro_f1,
    negative_figures,
    report,
    table,
    threshold_for_precision,
)
from models.labelled import LabelledFileError, LabelledPost, read_labelled


def _rows(*triples: tuple[str, str, float], lang: str = "en") -> list[Scored]:
    return [Scored(truth, predicted, p, lang) for truth, predicted, p in triples]


def test_negative_precision_recall_and_f1_count_corrections_as_not_negative() -> None:
    rows = _rows(
        ("negative", "negative", 0.9),
        ("negative", "neutral", 0.3),
        ("not_negative", "negative", 0.7),  # a Slack correction: a false alarm
        ("positive", "positive", 0.1),
    )
    figures = negative_figures(rows)
    assert figures["support"] == 2 and figures["predicted"] == 2
    assert figures["precision"] == 0.5 and figures["recall"] == 0.5 and figures["f1"] == 0.5
    assert negative_figures(_rows(("neutral", "neutral", 0.1)))["precision"] is None  # nothing predicted negative


def test_macro_f1_and_confusion_use_full_labels_only() -> None:
    rows = _rows(
        ("negative", "negative", 0.9),
        ("neutral", "neutral", 0.2),
        ("positive", "neutral", 0.1),
        ("positive", "positive", 0.1),
        ("not_negative", "negative", 0.8),
    )
    # negative F1 1, neutral P 1/2 R 1 → 2/3, positive P 1 R 1/2 → 2/3
    assert macro_f1(rows) == pytest.approx((1 + 2 / 3 + 2 / 3) / 3)
    matrix = confusion(rows)
    assert matrix["positive"] == {"negative": 0, "neutral": 1, "positive": 1}
    assert sum(sum(r.values()) for r in matrix.values()) == 4
    assert macro_f1(_rows(("not_negative", "neutral", 0.1))) is None


def test_calibration_error_is_zero_when_probabilities_match_frequencies() -> None:
    calibrated = _rows(*[("negative", "negative", 0.75)] * 3, ("neutral", "neutral", 0.75))
    assert calibration_error(calibrated) == pytest.approx(0.0)
    overconfident = _rows(("neutral", "negative", 0.95), ("negative", "negative", 0.95))
    assert calibration_error(overconfident) == pytest.approx(0.45)
    assert calibration_error([]) is None


def test_threshold_is_the_lowest_that_reaches_the_precision() -> None:
    rows = _rows(
        ("negative", "negative", 0.95),
        ("negative", "negative", 0.9),
        ("neutral", "negative", 0.8),
        ("negative", "negative", 0.7),
        ("neutral", "neutral", 0.4),
        ("negative", "neutral", 0.3),
    )
    found = threshold_for_precision(rows, precision=0.75)
    assert found["value"] == 0.7 and found["recall"] == 0.75 and found["reached"] == 0.75
    assert threshold_for_precision(rows, precision=1.0)["value"] == 0.9
    impossible = threshold_for_precision(_rows(("neutral", "negative", 0.9), ("negative", "neutral", 0.1)),
                                         precision=0.9)
    assert impossible["value"] is None and impossible["recall"] is None


def test_threshold_never_splits_posts_with_the_same_probability() -> None:
    rows = _rows(("negative", "negative", 0.8), ("neutral", "negative", 0.8), ("negative", "negative", 0.9))
    assert threshold_for_precision(rows, precision=0.9)["value"] == 0.9  # 0.8 takes both tied posts: 2/3


def test_report_is_per_language_and_the_table_reads() -> None:
    rows = _rows(("negative", "negative", 0.9), ("neutral", "neutral", 0.1), lang="pl") + _rows(
        ("negative", "neutral", 0.4), lang="fa"
    )
    figures = report(rows, precision=0.8)
    assert list(figures) == ["all", "pl", "fa"]
    assert figures["pl"]["n"] == 2 and figures["fa"]["negative"]["recall"] == 0.0
    assert figures["all"]["n"] == 3
    json.dumps(figures)  # JSON-ready
    text = table(figures)
    assert "macro F1" in text and "\npl " in text and "\nfa " in text and "P(neg) ≥ 0.900" in text


def test_labelled_csv_and_jsonl(tmp_path: Path) -> None:
    csv_file = tmp_path / "labels.csv"
    csv_file.write_text('text,label,lang\n"Zamówienie, znowu",Negative,PL\nok,neutral,\nmeh,not negative,en\n',
                        encoding="utf-8")
    assert read_labelled(csv_file).posts == [
        LabelledPost("Zamówienie, znowu", "negative", "pl"),
        LabelledPost("ok", "neutral", None),
        LabelledPost("meh", "not_negative", "en"),
    ]
    jsonl = tmp_path / "labels.jsonl"
    jsonl.write_text('{"text": "great", "label": "pos"}\n\n{"text": "bad", "label": "neg", "lang": "en"}\n',
                     encoding="utf-8")
    read = read_labelled(jsonl)
    assert read.posts == [LabelledPost("great", "positive"), LabelledPost("bad", "negative", "en")]
    assert read.skipped == [] and read.skipped_summary() == ""


# What spreadsheets and labelling tools write: the same three records every time.
_EXPECTED = [
    LabelledPost("Aplikacja nie działa;\nznowu", "negative", "pl"),  # CRLF inside a cell read as one newline
    LabelledPost("Всё отлично, спасибо", "positive", "ru"),
    LabelledPost("x" * 300_000, "neutral", None),  # a long thread pasted into one cell
]


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        ('text,label,lang\r\n"Aplikacja nie działa;\r\nznowu",negative,pl\r\n"Всё отлично, спасибо",positive,ru\r\n'
         f'{"x" * 300_000},neutral,\r\n'.encode("utf-8-sig"), "UTF-8 with a byte-order mark, CRLF"),
        ('text;label;lang\r\n"Aplikacja nie działa;\r\nznowu";negative;pl\r\n"Всё отлично, спасибо";positive;ru\r\n'
         f'{"x" * 300_000};neutral;\r\n'.encode(), "semicolons (Excel with a decimal comma)"),
        ('text\tlabel\tlang\r\n"Aplikacja nie działa;\r\nznowu"\tnegative\tpl\r\nВсё отлично, спасибо\tpositive\tru\r\n'
         f'{"x" * 300_000}\tneutral\t\r\n'.encode("utf-16"), "UTF-16 tab-separated (Excel's Unicode text)"),
    ],
)
def test_labelled_files_as_spreadsheets_write_them(tmp_path: Path, raw: bytes, what: str) -> None:
    path = tmp_path / "labels.csv"
    path.write_bytes(raw)
    read = read_labelled(path)
    assert read.posts == _EXPECTED, what
    assert read.skipped == []


def test_a_bad_record_is_skipped_and_named_and_the_rest_are_read(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("text,label,lang\nfine,positive,en\n,negative,en\nhello,furious,en\nbad,negative,pl\n"
                    + "".join(f"t{i},meh,\n" for i in range(6)), encoding="utf-8")
    read = read_labelled(path)
    assert read.posts == [LabelledPost("fine", "positive", "en"), LabelledPost("bad", "negative", "pl")]
    assert [s.line for s in read.skipped] == [3, 4, 6, 7, 8, 9, 10, 11]
    summary = read.skipped_summary()
    assert "skipped 8 of 10 records" in summary and "line 3: no text" in summary and "; and 3 more" in summary
    assert "line 4: label 'furious' is not one of" in summary
    jsonl = tmp_path / "labels.jsonl"
    jsonl.write_text('{"text": "hi", "label": "negative"}\n{oops\n[1, 2]\n{"text": 5, "label": "negative"}\n'
                     '{"text": "hi", "label": "positive", "lang": 3}\n'
                     '{"text": "a\\ud800b\\u0000", "label": "\\udcff", "lang": "pl"}\n'
                     '{"text": "a\\ud800b\\u0000", "label": "neg", "lang": "\\ud800<b>pl</b>"}\n'
                     '{"text": "a\\ud800b\\u0000", "label": "neg", "lang": "pt_BR"}\n'
                     '{"text": "\\u0000\\ud800 \\u0007", "label": "neg"}\n', encoding="utf-8")
    read = read_labelled(jsonl)
    # JSON escapes carry lone surrogates and NUL: gone from the text, and a label or lang made of them is refused
    # with its reason escaped, so that nothing printed or written as JSON afterwards meets one.
    assert read.posts == [LabelledPost("hi", "negative"), LabelledPost("ab", "negative", "pt-br")]
    assert [(s.line, s.reason.split(" (")[0].split(", got")[0]) for s in read.skipped] == [
        (2, "not valid JSON"), (3, "not a JSON object"), (4, "no text"),
        (5, 'lang must be a language code such as "pl"'),
        (6, "label '\\udcff' is not one of negative, neutral, positive, not_negative"),
        (7, 'lang must be a language code such as "pl" or "pt-br"'),
        (9, "no text"),  # nothing left once NUL, the surrogate and BEL are gone
    ]
    assert all(s.reason.isascii() for s in read.skipped)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"text,sentiment\nhi,negative\n", "header must name the columns text and label"),
        (b"text,label\nhi,angry\n", "no labelled posts in it (" ),
        (b"text,label\nhi,angry\n", "line 2: label 'angry' is not one of"),
        (b'{"text": 5, "label": "negative"}\n{oops\n', "line 2: not valid JSON"),
        (b"text,label\n", "no labelled posts"),
        (b"text,label\nok,negative\n\xff\xfe oops,negative\n", "labels.txt:3: not UTF-8 text"),
    ],
)
def test_labelled_file_errors_name_the_line_and_the_fix(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "labels.txt"
    path.write_bytes(content)
    with pytest.raises(LabelledFileError) as caught:
        read_labelled(path)
    assert says in str(caught.value)
