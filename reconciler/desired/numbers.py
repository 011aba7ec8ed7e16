"""Phone numbers as written in numbers.yaml and as AWS lists them: to E.164, once.

``normalize_number`` accepts the international notations people write and
requires a valid number (phonenumbers, no default region). A number already in
E.164 takes a fast path when the full parse could not change it, and a number
this process has already found valid (numbers.yaml's, then the same number in
the live listing) is not validated again.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import phonenumbers

from reconciler.core.model import E164_PATTERN

__all__ = ["normalize_number", "shorten", "written_valid"]

# Visual separators of common notations: +1 (206) 555-0100, +44 20.7946.0958,
# +1/206/555/0100. Letters are refused on purpose: phonenumbers would turn
# "+1 800 FLOWERS" into digits and drop "ext. 12", and a reviewed file should
# show exactly the digits that are kept.
_NUMBER_SEPARATORS = frozenset(" -.()/")


def normalize_number(text: str) -> str:
    """Return ``text`` as an E.164 number (``+12065550100``).

    Accepts international notations (``+1 (206) 555-0100``, ``+44 20 7946 0958``,
    ``tel:+1-206-555-0100``) and requires a valid number: parsed with no default
    region, so the country code must be written. Raises :class:`ValueError`
    whose message says what is wrong with the value.

    A number already written in E.164 skips ``phonenumbers.parse`` when the
    parse could not change it (see :func:`_canonical`); one this process has
    already found valid (numbers.yaml's, then the same number in the live
    listing) is not validated again. Either way the result is the full parse's.
    """
    if written_valid(text):
        return text
    e164, parsed = _normalize_parsed(text)
    if parsed.italian_leading_zero is None and _canonical(
        parsed.country_code or 0, str(parsed.national_number)
    ):
        _remember(e164)  # normalize_number(e164) is e164 itself: same digits, no prefix
    return e164


def written_valid(text: str) -> bool:
    """Whether ``text`` is a valid number already written as its E.164 form (the
    fast path of :func:`normalize_number`, which returns it unchanged).

    False means "not shown here", not "invalid": ``normalize_number`` then decides
    and words the reason.
    """
    if text in _known:
        return True
    return _E164_SHAPE.fullmatch(text) is not None and _valid_as_written(text)


# What a number in E.164 looks like before we know it is valid: +, a country
# code, at most 15 digits in all. Shorter than 7 digits is left to the full
# parse, which words why.
_E164_SHAPE = re.compile(r"\+[1-9][0-9]{6,14}")

# E.164 numbers found valid by this process, so the live listing does not
# validate again what numbers.yaml listed. Bounded: emptied when full. A set's
# add and clear are each atomic: the reading threads share it without a lock (at
# worst a number is validated twice).
_KNOWN_LIMIT = 1 << 18
_known: set[str] = set()


def _remember(e164: str) -> None:
    if len(_known) >= _KNOWN_LIMIT:
        _known.clear()
    _known.add(e164)


def _canonical(country_code: int, national: str) -> bool:
    """Whether ``phonenumbers.parse("+" + code + national)`` keeps ``national`` as is.

    ``parse`` strips a national prefix it finds at the start of the national
    number (a 0 in most of Europe, a 1 in North America), and keeps leading
    zeros aside (Italy): only when neither can happen is the parsed number
    exactly (``country_code``, ``int(national)``), which formats back to the
    same E.164 text.
    """
    if not national or national[0] == "0":
        return False
    prefix = _national_prefix(country_code)
    return prefix is not None and (prefix is _NO_PREFIX or prefix.match(national) is None)


_NO_PREFIX = re.compile("")


@functools.cache
def _national_prefix(country_code: int) -> re.Pattern[str] | None:
    """The country code's ``national_prefix_for_parsing``, compiled once (``_NO_PREFIX``
    when it has none); None when phonenumbers has no metadata for the code."""
    region = phonenumbers.region_code_for_country_code(country_code)
    metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return None
    prefix = metadata.national_prefix_for_parsing
    return re.compile(prefix) if prefix else _NO_PREFIX


def _valid_as_written(text: str) -> bool:
    """Whether E.164-shaped ``text`` is a valid number that the full parse returns unchanged.

    False means "not shown here", not "invalid": the full parse then decides
    and words the reason.
    """
    split = _country_code(text[1:])
    if split is None:
        return False
    country_code, national = split
    quick = _written_quick(country_code)
    if quick is None or quick.match(national) is None:  # not the usual number: step by step
        proven = _canonical(country_code, national) and _is_valid(country_code, national)
        if not proven:
            return False
    _remember(text)
    return True


@functools.cache
def _written_quick(country_code: int) -> re.Pattern[str] | None:
    """One expression for the usual number of a code: ``_canonical`` (no leading zero,
    no national prefix to strip) and valid in the region ``_is_valid`` tries first,
    when that region is chosen by its patterns (or is the code's only one). A match
    is both answers at once; no match leaves them to ``_canonical`` and ``_is_valid``.
    None: the code has no such first region."""
    prefix = _national_prefix(country_code)
    rules = _country_rules(country_code)
    if prefix is None or not rules:
        return None
    leading, valid = rules[0]
    if valid is None or leading not in (None, _ANY) or _UNCOMBINABLE.search(prefix.pattern):
        return None
    strip = "" if prefix is _NO_PREFIX else f"(?!{prefix.pattern})"
    return re.compile(f"(?!0){strip}{valid.pattern}")


def _country_code(digits: str) -> tuple[int, str] | None:
    """The country code and the national digits, as phonenumbers reads the code: the
    shortest known prefix (the codes are prefix-free), at most three digits."""
    for size in (1, 2, 3):
        country_code = _COUNTRY_CODES.get(digits[:size])
        if country_code is not None:
            return country_code, digits[size:]
    return None


_COUNTRY_CODES = {str(code): code for code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE}


def _is_valid(country_code: int, national: str) -> bool:
    """``phonenumbers.is_valid_number`` of the number ``+<country_code><national>``, with
    ``national`` its national significant number (``national_significant_number``).

    The same decision as phonenumbers, step for step: the region of the code whose
    leading digits match first, or else the first whose patterns the number matches
    (``region_code_for_number``); then whether the number is of a type of that region
    (``_number_type_helper`` is not UNKNOWN). Each region's patterns are compiled into
    one expression (``_region_valid``): one match instead of up to eleven calls through
    phonenumbers' helpers, the most of the time of a 100k-number file.
    """
    rules = _country_rules(country_code)
    if rules is None:
        number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
        return bool(phonenumbers.is_valid_number(number))  # patterns we could not combine
    for leading, valid in rules:
        if leading is None:
            if valid is not None and valid.match(national) is not None:
                return True
        elif leading.match(national) is not None:
            return valid is not None and valid.match(national) is not None
    return False


# The number types ``_number_type_helper`` tries once the general description matched;
# mobile only when its pattern is not the fixed line's (``same_mobile_and_fixed_line_pattern``).
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
)
_Rules = tuple[tuple[re.Pattern[str] | None, re.Pattern[str] | None], ...]
# What a metadata pattern must not contain to be combined with others: group
# references and inline flags would change meaning in a larger expression.
_UNCOMBINABLE = re.compile(r"\\[1-9]|\(\?P|\(\?[a-zA-Z]")


class _Uncombinable(Exception):
    pass


@functools.cache
def _country_rules(country_code: int) -> _Rules | None:
    """Per region of the code, in phonenumbers' order: (its leading digits, or None
    when it is chosen by its patterns; its validity expression, or None when no number
    is valid there). None: leave the code to phonenumbers."""
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
    try:
        if len(regions) == 1:
            # region_code_for_number takes the only region without looking.
            metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(
                country_code, regions[0].upper()
            )
            return ((_ANY, _region_valid(metadata)),)
        rules = []
        for region in regions:
            metadata = phonenumbers.PhoneMetadata.metadata_for_region(region.upper(), None)
            if metadata is None:
                continue
            digits = metadata.leading_digits
            leading = None if digits is None else re.compile(digits)
            rules.append((leading, _region_valid(metadata)))
        return tuple(rules)
    except _Uncombinable:
        return None


_ANY = re.compile("")


def _region_valid(metadata: phonenumbers.PhoneMetadata | None) -> re.Pattern[str] | None:
    """One expression that matches (``.match``) exactly the national numbers of a type
    of this region: the general description and one of the types, each with its
    possible lengths. None: no number is (no metadata, no general description)."""
    if metadata is None:
        return None
    general = _desc(metadata.general_desc)
    if general is None:
        return None
    names = _TYPES if metadata.same_mobile_and_fixed_line_pattern else (*_TYPES, "mobile")
    kinds = [d for d in (_desc(getattr(metadata, name)) for name in names) if d is not None]
    if not kinds:
        return None
    return re.compile(f"(?={general})(?:{'|'.join(kinds)})")


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> str | None:
    """``_is_number_matching_desc`` as an expression: the length among the possible
    ones (any when none are given), then the whole number matching the pattern."""
    if desc is None or not desc.national_number_pattern:
        return None
    pattern = desc.national_number_pattern
    if _UNCOMBINABLE.search(pattern) is not None:
        raise _Uncombinable(pattern)
    lengths = sorted(set(desc.possible_length))
    guard = ""
    if lengths:
        if lengths[-1] <= 0:
            return None  # -1 alone: phonenumbers' mark of a type not in use
        guard = "(?=(?:" + "|".join(f"[0-9]{{{n}}}" for n in lengths) + r")\Z)"
    return rf"{guard}(?:{pattern})\Z"


def _normalize_parsed(text: str) -> tuple[str, phonenumbers.PhoneNumber]:
    """The full parse: the E.164 form and the parsed number. Raises ValueError."""
    shown = repr(shorten(text))
    body = text.strip()
    if body[:4].lower() == "tel:":
        body = body[4:]
    if not body:
        raise ValueError(f"{shown} is empty")
    if not body.startswith("+"):
        if any(ch.isdigit() for ch in body):
            raise ValueError(f"{shown} has no country code (it must start with +)")
        raise ValueError(f"{shown} is not a phone number")
    for ch in body[1:]:
        if not (ch in "0123456789" or ch in _NUMBER_SEPARATORS or ch.isspace()):
            what = "letters" if ch.isalpha() else f"{ch!r} (U+{ord(ch):04X})"
            raise ValueError(
                f"{shown} contains {what}; only digits, spaces and - . ( ) / are allowed"
            )
    try:
        parsed = phonenumbers.parse(body, None)
    except phonenumbers.NumberParseException as exc:
        reason = _PARSE_REASONS.get(exc.error_type, "is not a phone number")
        raise ValueError(f"{shown} {reason}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(f"{shown} {_invalid_reason(parsed)}")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if E164_PATTERN.match(e164) is None:
        # phonenumbers accepts a few national plans (Germany) beyond E.164's 15 digits.
        raise ValueError(
            f"{shown} has {len(e164) - 1} digits; E.164, and so Amazon Connect, allows at most 15"
        )
    return e164, parsed


_PARSE_REASONS: Mapping[int, str] = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "has no valid country code after +",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "is not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "is too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "is too short",
    phonenumbers.NumberParseException.TOO_LONG: "is too long",
}


# is_possible_number_with_reason() says why a number that parsed is not valid.
_LENGTH_REASONS: Mapping[int, str] = {
    phonenumbers.ValidationResult.TOO_SHORT: "is too short for {where}",
    phonenumbers.ValidationResult.TOO_LONG: "is too long for {where}",
    phonenumbers.ValidationResult.INVALID_LENGTH: "has the wrong number of digits for {where}",
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "has an unassigned country code +{code}",
}


def _invalid_reason(parsed: phonenumbers.PhoneNumber) -> str:
    code = parsed.country_code or 0
    # Name the region only when the code has one: +1 spans the US, Canada and more.
    regions = phonenumbers.region_codes_for_country_code(code)
    single = len(regions) == 1 and regions[0] not in ("ZZ", "001")
    where = f"country code +{code}" + (f" ({regions[0]})" if single else "")
    template = _LENGTH_REASONS.get(
        phonenumbers.is_possible_number_with_reason(parsed),
        # The length is right but the digits are not in use (an unassigned area code).
        "is not a valid number in the numbering plan of {where}",
    )
    return template.format(where=where, code=code)


def shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
