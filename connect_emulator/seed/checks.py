"""The value checks the seed's sections share: keys, strings, counts, enums,
lists, mappings, E.164 numbers, and ``_fail``, which raises a ``SeedError``
naming the source, the entry and its line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

from ..constants import COUNTRY_CODE_PATTERN, E164_PATTERN
from ..countries import country_of
from .lines import line_of
from .model import SeedError


def describe(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


class SeedChecks:
    """The shared checks of one seed document; every failure names ``source``."""

    _source: str

    def _fail(
        self, problem: str, *, entry: str | None, mapping: object = None, key: str | None = None
    ) -> NoReturn:
        raise SeedError(problem, source=self._source, entry=entry, line=line_of(mapping, key))

    def _check_keys(
        self, mapping: Mapping[Any, Any], allowed: Sequence[str], *, entry: str | None
    ) -> None:
        for key in mapping:
            if key not in allowed:
                self._fail(
                    f"unknown key {key!r}; expected one of {', '.join(allowed)}",
                    entry=entry,
                    mapping=mapping,
                    key=key if isinstance(key, str) else None,
                )

    def _string(
        self,
        mapping: Mapping[str, Any],
        key: str,
        *,
        entry: str | None,
        required: bool = False,
        hint: str = "",
    ) -> str | None:
        if key not in mapping or mapping[key] is None:
            if required:
                self._fail(f"'{key}' is required", entry=entry, mapping=mapping)
            return None
        value = mapping[key]
        if not isinstance(value, str):
            self._fail(
                f"'{key}' must be a string, not {describe(value)}{hint}",
                entry=entry,
                mapping=mapping,
                key=key,
            )
        return value

    def _flag(self, item: Mapping[str, Any], key: str, *, entry: str) -> bool:
        """An optional true/false key (false when absent)."""
        value = item.get(key, False)
        if not isinstance(value, bool):
            self._fail(f"'{key}' must be true or false", entry=entry, mapping=item, key=key)
        return value

    def _item_mapping(
        self, item: object, what: str, *, entry: str, mapping: Mapping[str, Any], key: str
    ) -> Mapping[str, Any]:
        """An entry of the list ``mapping[key]`` that must be a mapping; ``what`` says with
        which keys (the problem reads "<what>, not <item>")."""
        if not isinstance(item, Mapping):
            self._fail(f"{what}, not {describe(item)}", entry=entry, mapping=mapping, key=key)
        return item

    def _entries(
        self, document: Mapping[str, Any], key: str, what: str, keys: Sequence[str]
    ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """The entries of the list ``document[key]``, each named ``key[index]``: mappings
        (``what`` says with which keys) that hold only ``keys``."""
        for index, item in enumerate(self._list(document, key)):
            entry = f"{key}[{index}]"
            item = self._item_mapping(item, what, entry=entry, mapping=document, key=key)
            self._check_keys(item, keys, entry=entry)
            yield entry, item

    def _list(self, document: Mapping[str, Any], key: str) -> list[Any]:
        value = document.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self._fail(
                f"'{key}' must be a list, not {describe(value)}",
                entry=None,
                mapping=document,
                key=key,
            )
        return value

    def _count(
        self,
        mapping: Mapping[str, Any],
        key: str,
        default: int,
        *,
        entry: str | None = None,
        minimum: int = 0,
    ) -> int:
        """A whole number of at least ``minimum`` (YAML ints only: no floats, no bools)."""
        value = mapping.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self._fail(
                f"'{key}' must be an integer of at least {minimum}, not {describe(value)}",
                entry=entry,
                mapping=mapping,
                key=key,
            )
        return value

    def _enum(
        self,
        item: Mapping[str, Any],
        key: str,
        allowed: Sequence[str],
        default: str,
        *,
        entry: str,
    ) -> str:
        value = self._string(item, key, entry=entry)
        if value is None:
            return default
        if value not in allowed:
            self._fail(
                f"{key} {value!r} is not one of {', '.join(allowed)}",
                entry=entry,
                mapping=item,
                key=key,
            )
        return value

    def _max_length(
        self, item: Mapping[str, Any], key: str, value: str | None, limit: int, entry: str
    ) -> None:
        if value is not None and len(value) > limit:
            self._fail(
                f"'{key}' is {len(value)} characters long; Connect allows at most {limit}",
                entry=entry,
                mapping=item,
                key=key,
            )

    def _mapping(
        self, document: Mapping[str, Any], key: str, what: str, *, entry: str | None
    ) -> Mapping[str, Any]:
        value = document.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self._fail(
                f"'{key}' must be a mapping {what}, not {describe(value)}",
                entry=entry,
                mapping=document,
                key=key,
            )
        return value

    def _e164_and_country(self, item: Mapping[str, Any], entry: str) -> tuple[str, str]:
        """``phone_number`` (required, E.164) and ``country`` (given or derived)."""
        phone_number = self._string(
            item,
            "phone_number",
            entry=entry,
            required=True,
            hint='; quote it, e.g. "+12065550100", or YAML reads it as a number',
        )
        assert phone_number is not None
        if not E164_PATTERN.fullmatch(phone_number):
            self._fail(
                f"phone_number {phone_number!r} is not in E.164 form (+, country code, "
                "subscriber number, no spaces)",
                entry=entry,
                mapping=item,
                key="phone_number",
            )
        country = self._string(item, "country", entry=entry)
        if country is None:
            country = country_of(phone_number)
            if country is None:
                self._fail(
                    f"cannot derive the country of {phone_number}; give 'country' (ISO code)",
                    entry=entry,
                    mapping=item,
                )
        elif not COUNTRY_CODE_PATTERN.fullmatch(country):
            self._fail(
                f"country {country!r} is not an ISO 3166-1 alpha-2 code such as US",
                entry=entry,
                mapping=item,
                key="country",
            )
        return phone_number, country
