"""``[[brands]]`` query, exclusions and competitors in the config; check-config names a query's error and position."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import cli
from monitor.config import ConfigError, parse_config
from values.query_tree import Or, Term


def problems(brand: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config({"brands": [brand]}, env={})
    return info.value.problems


def test_terms_keep_working_as_an_or_of_terms() -> None:
    brand = parse_config({"brands": [{"name": "Acme", "terms": ["acme", "#acme"]}]}, env={}).brands[0]
    assert brand.tree == Or((Term("acme"), Term("#acme"))) and brand.query is None and not brand.competitor


def test_a_query_is_parsed_once_into_its_tree() -> None:
    raw = {"name": "Acme", "query": "acme NOT corp", "competitor": True, "exclude_domains": ["www.Acme.com"]}
    brand = parse_config({"brands": [raw]}, env={}).brands[0]
    assert brand.tree == parse_config({"brands": [raw]}, env={}).brands[0].tree
    assert brand.competitor and brand.exclude_domains == ("acme.com",)
    assert brand.search_query("x", ()).expr == brand.tree


@pytest.mark.parametrize(
    ("brand", "says"),
    [
        ({"name": "A", "query": "(acme OR wile"}, "brands.0: query: position 13: expected ')'"),
        ({"name": "A", "query": "acme", "terms": ["acme"]}, "set terms or query, not both"),
        ({"name": "A"}, "terms or query is required"),
        ({"name": "A", "query": "acme platform:myspace"}, "platform:myspace is not a source"),
        ({"name": "A", "terms": ["a"], "exclude_domains": ["https://acme.com/news"]}, "write each as a bare domain"),
    ],
)
def test_a_bad_brand_names_the_field_and_the_fix(brand: dict, says: str) -> None:
    assert any(says in p for p in problems(brand)), problems(brand)


def test_check_config_exits_2_with_the_position_of_a_query_syntax_error(tmp_path: Path, capsys) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[slack]\nconsole = true\n[[brands]]\nname = "Acme"\nquery = \'"acme" AND NOT ("acme corp" OR wile\'\n',
        encoding="utf-8",
    )
    code = cli.main(["check-config", "--config", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "brands.0: query: position 35: expected ')' to close the '(' at position 15" in err
    assert '("acme corp" OR wile⟨here⟩' in err
