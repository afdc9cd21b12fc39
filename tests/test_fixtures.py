"""The test fixtures' own promises: under CI=true a missing PostgreSQL fails the run; models are built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import tiny_model

ROOT = Path(__file__).resolve().parents[1]
DEAD_SERVER = "postgresql://postgres@127.0.0.1:9/postgres"  # nothing listens on the discard port


def _run_db_test(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *, ci: str) -> pytest.RunResult:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("BRAND_MONITOR_TEST_PG", DEAD_SERVER)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makeconftest("from tests.conftest import *  # noqa: F403 - the project's fixtures\n")
    pytester.makepyfile(test_one="def test_uses_a_database(db_url):\n    assert db_url\n")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")


@pytest.mark.e2e
def test_under_ci_a_postgresql_that_does_not_answer_fails_the_run(pytester, monkeypatch) -> None:
    result = _run_db_test(pytester, monkeypatch, ci="true")
    result.assert_outcomes(passed=1, errors=1)
    assert "CI=true requires it" in result.stdout.str()
    assert result.ret != 0


@pytest.mark.e2e
def test_elsewhere_a_postgresql_that_does_not_answer_is_skipped(pytester, monkeypatch) -> None:
    result = _run_db_test(pytester, monkeypatch, ci="")
    result.assert_outcomes(passed=1, skipped=1)
    assert result.ret == 0


def test_the_tiny_model_is_built_once_per_recipe_and_reused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BRAND_MONITOR_TEST_CACHE", str(tmp_path))
    builds: list[Path] = []

    def fake_build(directory: Path, **options: object) -> Path:  # what matters here is the caching, not torch
        builds.append(directory)
        (directory / "config.json").write_text(str(sorted(options.items())))
        return directory

    monkeypatch.setattr(tiny_model, "build_tiny_model", fake_build)
    first = tiny_model.cached_tiny_model(fit=True)
    assert tiny_model.cached_tiny_model(fit=True) == first and len(builds) == 1, "reused, not rebuilt"
    other = tiny_model.cached_tiny_model(fit=False)
    assert other != first and len(builds) == 2, "other options are another model"
    assert first.parent == tmp_path and first.name.startswith("tiny-model-")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name]), "no half-built leftovers"
