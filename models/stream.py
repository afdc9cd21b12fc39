"""``brand-monitor classify``: records read line by line, classified in batches, answered as soon as input pauses."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from models.base import Classifier, Sentiment

_END = object()  # the reader's mark that the input is finished


@dataclass(frozen=True, slots=True)
class Record:
    """One input line: its text to classify, or why it cannot be classified."""

    line: int  # 1-based line number in the input
    text: str | None
    id: Any = None  # the record's own "id", echoed back
    error: str | None = None


def parse_line(number: int, line: str) -> Record:
    """A JSON object with a string ``text`` (and optional ``id``), or a plain text line."""
    if not line.strip():
        return Record(number, None, error="blank line: nothing to classify")
    if not line.lstrip().startswith("{"):
        return Record(number, line)
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return Record(number, None, error=f'not valid JSON ({exc.msg}): write {{"text": "..."}} or plain text')
    if not isinstance(data, dict):  # a line that starts with "{" and parses is an object; kept for mypy
        return Record(number, None, error='not a JSON object: write {"text": "..."}')
    ident = data.get("id")
    if "text" not in data:
        keys = ", ".join(sorted(map(str, data))) or "none"
        return Record(number, None, id=ident, error=f'no "text" field (keys: {keys}): write {{"text": "..."}}')
    if not isinstance(data["text"], str):
        kind = type(data["text"]).__name__
        return Record(number, None, id=ident, error=f'"text" must be a string, got {kind}')
    return Record(number, data["text"], id=ident)


def result_of(record: Record, sentiment: Sentiment | None) -> dict[str, Any]:
    """The output object for ``record``: its id (when given), its line number, and the sentiment or the error."""
    out: dict[str, Any] = {"id": record.id} if record.id is not None else {}
    out["line"] = record.line
    if sentiment is None:
        out["error"] = record.error
        return out
    out.update(
        label=sentiment.label,
        score=round(sentiment.score, 4),
        negative=round(sentiment.negative, 4),
        low_confidence=sentiment.low_confidence,
        lang=sentiment.lang,
    )
    return out


def batches(lines: Iterable[str], *, batch_size: int) -> Iterator[list[Record]]:
    """Records in batches of up to ``batch_size``: a batch closes when it is full or when no more input is waiting.

    A reader thread pulls ``lines`` (stdin blocks), so a pause in the input closes the batch at once and its
    results go out, while a file or a fast pipe still fills whole batches.
    """
    waiting: queue.Queue[object] = queue.Queue(maxsize=4 * batch_size)

    def read() -> None:
        try:
            for number, line in enumerate(lines, start=1):
                waiting.put(parse_line(number, line.rstrip("\r\n")))
        finally:
            waiting.put(_END)

    threading.Thread(target=read, name="classify-stdin", daemon=True).start()
    finished = False
    while not finished:
        item = waiting.get()  # block for the first record of a batch
        batch: list[Record] = []
        while True:
            if item is _END:
                finished = True
                break
            assert isinstance(item, Record)
            batch.append(item)
            if len(batch) >= batch_size:
                break
            try:
                item = waiting.get_nowait()
            except queue.Empty:
                break
        if batch:
            yield batch


def classify_stream(
    lines: Iterable[str], classifier: Classifier, write: Callable[[str], None], *, batch_size: int
) -> tuple[int, int]:
    """Classify every line of ``lines``, writing one JSON line per input line in order; (classified, errors)."""
    classified = errors = 0
    for batch in batches(lines, batch_size=batch_size):
        readable = [r for r in batch if r.text is not None]
        sentiments = iter(classifier.classify([r.text for r in readable if r.text is not None]))
        for record in batch:
            sentiment = next(sentiments) if record.text is not None else None
            classified += sentiment is not None
            errors += sentiment is None
            write(_json_line(result_of(record, sentiment)))
    return classified, errors


def _json_line(result: dict[str, Any]) -> str:
    """``result`` as one line of UTF-8 JSON; escaped where the input's id (or keys) held lone surrogates."""
    line = json.dumps(result, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        # A "\ud800" escape in the input is valid JSON but has no UTF-8 form: written back as the same escape,
        # the id still matches what the caller sent.
        return json.dumps(result)
    return line
