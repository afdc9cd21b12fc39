"""Hypothesis strategies for payloads: arbitrary JSON, and mutations of a realistic sample (most bugs hide there)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# What a JSON parser can hand us: Python's json also accepts NaN and Infinity.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["", "0", "-1", "1e309", "2026-11-20T09:15:00Z", "2026-13-45T99:99:99", "t3", "t1", "abc"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def mutations(sample: Any) -> st.SearchStrategy[Any]:
    """``sample`` with some of its values dropped, replaced by arbitrary JSON, or kept, at every depth."""
    if isinstance(sample, dict):
        keys = list(sample)

        @st.composite
        def mutated_dict(draw: st.DrawFn) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for key in keys:
                action = draw(st.sampled_from(["keep", "keep", "mutate", "drop", "replace"]))
                if action == "keep":
                    out[key] = sample[key]
                elif action == "mutate":
                    out[key] = draw(mutations(sample[key]))
                elif action == "replace":
                    out[key] = draw(json_values)
            if draw(st.booleans()):
                out[draw(st.text(max_size=10))] = draw(json_values)
            return out

        return mutated_dict()
    if isinstance(sample, list):
        if not sample:
            return st.lists(json_values, max_size=3)
        return st.lists(st.one_of(mutations(sample[0]), json_values), max_size=4)
    return st.one_of(st.just(sample), json_values)


def payloads(sample: Any) -> st.SearchStrategy[Any]:
    """Mostly near-valid payloads derived from ``sample``, sometimes anything at all."""
    return st.one_of(mutations(sample), mutations(sample), json_values)
