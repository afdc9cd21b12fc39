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
    assert brand.search_terms == ("acme",), "what incidents leave out of a post's own words"


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
    assert code == 2 and "1 problem(s)" in err, "the brand's problem, not also an empty brand list"
    assert "brands.0: query: position 35: expected ')' to close the '(' at position 15" in err
    assert '("acme corp" OR wile⟨here⟩' in err


def test_check_config_names_a_query_an_enabled_source_cannot_send(tmp_path: Path, capsys) -> None:
    firsts, seconds = (" OR ".join(f"{c}{i}" for i in range(6)) for c in "ab")
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path}/b.db"\n[slack]\nconsole = true\n[sources.hn]\n'
        f"[[brands]]\nname = \"Acme\"\nquery = '({firsts}) ({seconds})'\n"
        '[[brands]]\nname = "Fine"\nterms = ["fine"]\n',
        encoding="utf-8",
    )
    code = cli.main(["check-config", "--config", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "1 problem(s)" in err
    assert "brands.0.query: sources.hn cannot search for it:" in err and "needs 36 searches" in err


def test_query_test_shows_what_each_enabled_source_sends(tmp_path: Path, capsys) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\nurl = "sqlite:///{tmp_path}/q.db"\n[slack]\nconsole = true\n[sources.hn]\n'
        "[[brands]]\nname = \"Acme\"\nquery = '(acme OR #acme) NOT wile'\n",
        encoding="utf-8",
    )
    assert cli.main(["db", "upgrade", "--config", str(path)]) == 0
    assert cli.main(["query", "test", "--brand", "Acme", "--config", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "  hn sends: acme" in lines
