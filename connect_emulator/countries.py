"""Countries and calling codes: deriving a number's country, generating available numbers.

The emulator's pool of available numbers (what SearchAvailablePhoneNumbers
serves and ClaimPhoneNumber accepts) is the seed's ``available`` list plus
``available_generated`` numbers for each (country, type) of ``TEMPLATES``.
Generation is a pure function of (country, type, index), so the pool is the
same on every run, and ``generated_entry`` can tell whether a number belongs to
it without listing the pool.

Each template is a prefix and a number of digits, chosen so that every number
it makes is valid by libphonenumber (the product validates numbers.yaml with
it, and a user may copy a number found by a search there; a test checks them):
the first US DID is ``+14255550000``, the first GB toll-free ``+44800000000``.
Only DID and TOLL_FREE are generated; a seed lists other types in ``available``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = [
    "CALLING_CODES",
    "TEMPLATES",
    "AvailableNumber",
    "country_of",
    "generated_entry",
    "generated_number",
]

# Calling code -> ISO country, for deriving ``country`` when a seed omits it.
# Shared codes resolve to the country most numbers belong to (+1 -> US, +7 ->
# RU); a seed names ``country`` explicitly for the others (e.g. CA).
CALLING_CODES: Final[Mapping[str, str]] = {
    "1": "US", "7": "RU", "20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE",
    "33": "FR", "34": "ES", "36": "HU", "39": "IT", "40": "RO", "41": "CH", "43": "AT",
    "44": "GB", "45": "DK", "46": "SE", "47": "NO", "48": "PL", "49": "DE", "51": "PE",
    "52": "MX", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "60": "MY", "61": "AU",
    "62": "ID", "63": "PH", "64": "NZ", "65": "SG", "66": "TH", "81": "JP", "82": "KR",
    "84": "VN", "86": "CN", "90": "TR", "91": "IN", "92": "PK", "234": "NG", "254": "KE",
    "351": "PT", "352": "LU", "353": "IE", "354": "IS", "358": "FI", "359": "BG",
    "370": "LT", "371": "LV", "372": "EE", "385": "HR", "386": "SI", "420": "CZ",
    "421": "SK", "852": "HK", "886": "TW", "966": "SA", "971": "AE", "972": "IL",
}  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class AvailableNumber:
    """Shape ``AvailableNumberSummary``: a number anyone may claim."""

    phone_number: str
    type: str
    country: str


#: (country, type) -> (prefix, digits after it).
TEMPLATES: Final[Mapping[tuple[str, str], tuple[str, int]]] = {
    ("US", "DID"): ("+1425555", 4),
    ("US", "TOLL_FREE"): ("+1888555", 4),
    ("CA", "DID"): ("+1416555", 4),
    ("CA", "TOLL_FREE"): ("+1877555", 4),
    ("GB", "DID"): ("+44207183", 4),
    ("GB", "TOLL_FREE"): ("+44800", 6),
    ("AU", "DID"): ("+61285", 6),
    ("AU", "TOLL_FREE"): ("+611800", 6),
    ("DE", "DID"): ("+4930", 8),
    ("DE", "TOLL_FREE"): ("+49800", 7),
    ("FR", "DID"): ("+3314", 7),
    ("FR", "TOLL_FREE"): ("+33805", 6),
    ("JP", "DID"): ("+8135", 7),
    ("JP", "TOLL_FREE"): ("+81120", 6),
}


def country_of(phone_number: str) -> str | None:
    """The country of an E.164 number by its calling code, ``None`` if unknown."""
    digits = phone_number[1:]
    for length in (3, 2, 1):
        country = CALLING_CODES.get(digits[:length])
        if country is not None:
            return country
    return None


def generated_number(country: str, number_type: str, index: int) -> str | None:
    """The ``index``-th generated number of a country and type, if there is one."""
    template = TEMPLATES.get((country, number_type))
    if template is None:
        return None
    prefix, digits = template
    if not 0 <= index < 10**digits:
        return None
    return f"{prefix}{index:0{digits}d}"


def generated_entry(phone_number: str, count: int) -> tuple[str, str] | None:
    """``(country, type)`` if ``phone_number`` is one of the first ``count``
    generated numbers of its template, else ``None``."""
    for (country, number_type), (prefix, digits) in TEMPLATES.items():
        rest = phone_number[len(prefix) :]
        if (
            phone_number.startswith(prefix)
            and len(rest) == digits
            and rest.isdigit()
            and int(rest) < count
        ):
            return country, number_type
    return None
