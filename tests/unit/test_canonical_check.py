"""The verifier's cheap canonical-form test decides exactly as RFC 8785 does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.audit.entry import canonical
from engine.audit.verify import _parse_canonical

values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


def rfc8785(value: Any) -> bytes | None:
    try:
        return canonical(value)
    except Exception:
        return None


@given(values)
def test_the_rfc8785_form_of_any_value_is_accepted(value: Any) -> None:
    data = rfc8785(value)
    if data is not None:
        assert _parse_canonical(data.decode())[1]


@given(values, st.sampled_from([{}, {"sort_keys": True}, {"separators": (",", ":")}, {"ensure_ascii": False},
                                {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}]))
def test_any_other_writing_is_refused(value: Any, options: dict[str, Any]) -> None:
    other = json.dumps(value, **options)
    data = rfc8785(value)
    assert _parse_canonical(other)[1] == (data is not None and other.encode() == data)


@pytest.mark.parametrize(("text", "verdict"), [
    ('{"a":1,"b":[true,null,"x"]}', True),
    ('{"b":1,"a":2}', False),  # keys out of order
    ('{"a": 1}', False),  # whitespace
    ('{"a":"\\u00e9"}', False),  # RFC 8785 writes é itself
    ('{"a":"é"}', True),
    ('{"a":1.0}', False),  # RFC 8785 writes 1
    ('{"a":1.5}', True),
    ('{"a":9007199254740992}', True),  # 2**53 is a double
    ('{"a":9007199254740993}', False),  # ... this is not: RFC 8785 writes the double nearest to it
    ('{"a":-0}', False),
    ('{"a":NaN}', False),
    ('{"a":1,"a":1}', False),  # duplicate key
    ('{"\\ud83d\\ude00":1,"\\ue000":2}', False),
    ('{"😀":1,"\ue000":2}', True),  # UTF-16 order: the surrogate pair sorts before U+E000
    ('{"\ue000":2,"😀":1}', False),
])
def test_edge_cases(text: str, verdict: bool) -> None:
    assert _parse_canonical(text)[1] is verdict


def test_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError):
        _parse_canonical("{")
