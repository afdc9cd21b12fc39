"""Issue 17: offline, the model's retry warnings are shown once each, on one line, before the clear error."""

from __future__ import annotations

import io
import logging

from monitor.demo.quiet import brief_warnings


def test_each_warning_is_shown_once_on_one_line_and_the_repeats_are_counted() -> None:
    shown = io.StringIO()
    handler = logging.StreamHandler(shown)
    root = logging.getLogger()
    root.addHandler(handler)
    library = logging.getLogger("tests.a_library")  # retries, as huggingface_hub logs them offline
    err = io.StringIO()
    try:
        with brief_warnings(err):
            for attempt in range(1, 6):
                try:
                    raise OSError("[Errno -2] Name or service not known")
                except OSError:
                    library.warning(
                        "'%s' thrown while requesting HEAD https://hf/x\nmore detail", "boom", exc_info=True
                    )
                library.warning("Retrying in %ds [Retry %d/5].", attempt, attempt)
            logging.getLogger("monitor").error("could not load the model")
        library.warning("after the load: not filtered")
    finally:
        root.removeHandler(handler)
    lines = shown.getvalue().splitlines()
    assert lines == [
        "'boom' thrown while requesting HEAD https://hf/x",
        "Retrying in 1s [Retry 1/5].",
        "could not load the model",
        "after the load: not filtered",
    ]
    assert err.getvalue() == "(8 repeated warning(s) not shown)\n"
