"""Paging as a property: walking the tokens yields every match once, in order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connect_emulator.errors import ApiError
from connect_emulator.pagination import decode_token, encode_token, page

Key = tuple[str, str]


def ident(item: Key) -> Key:
    return item


@given(
    items=st.lists(
        st.tuples(st.text("+0123456789", min_size=1, max_size=4), st.text("ab", max_size=2)),
        unique=True,
    ).map(sorted),
    max_results=st.integers(min_value=1, max_value=7),
    kept=st.sets(st.integers(min_value=0, max_value=40)),
)
def test_walking_the_pages_yields_every_match_once(
    items: list[Key], max_results: int, kept: set[int]
) -> None:
    wanted = {item for index, item in enumerate(items) if index in kept}

    def where(item: Key) -> bool:
        return item in wanted

    seen: list[Key] = []
    after: Key | None = None
    pages = 0
    while True:
        chunk, after = page(items, ident, after=after, max_results=max_results, where=where)
        pages += 1
        assert len(chunk) <= max_results
        # Only the last page may be short, and a token never leads to an empty page.
        assert after is None or len(chunk) == max_results
        assert chunk or pages == 1
        seen += chunk
        if after is None:
            break
    assert seen == [item for item in items if item in wanted]


@given(after=st.tuples(st.text(), st.text()), query=st.dictionaries(st.text(), st.text()))
def test_tokens_round_trip(after: Key, query: dict[str, str]) -> None:
    token = encode_token("ListPhoneNumbersV2", query, after)
    assert decode_token(token, "ListPhoneNumbersV2", query) == after


@given(token=st.text())
def test_any_forged_token_is_an_invalid_parameter(token: str) -> None:
    try:
        decode_token(token, "ListPhoneNumbersV2", {})
    except ApiError as error:
        assert error.code == "InvalidParameterException"


def test_a_token_is_bound_to_its_operation() -> None:
    token = encode_token("ListPhoneNumbersV2", {"instance": "a"}, ("+1", "x"))
    with pytest.raises(ApiError):
        decode_token(token, "ListFlowAssociations", {"instance": "a"})
