"""The ``numbers`` section: each entry's number (in E.164, listed once), its
``description`` and its ``tags``, checked against AWS's tagging rules."""

from __future__ import annotations

import unicodedata

from yaml.nodes import MappingNode, Node, ScalarNode

from reconciler.core.model import DesiredNumber
from reconciler.desired.compose import NULL as _NULL
from reconciler.desired.compose import STR as _STR
from reconciler.desired.compose import describe as _describe
from reconciler.desired.compose import line_of as _line
from reconciler.desired.numbers import normalize_number, written_valid
from reconciler.desired.numbers import shorten as _shorten
from reconciler.desired.reader import Reader

_NUMBER_KEYS = ("number", "description", "tags")

# AWS tagging rules, as botocore's Connect model writes them (TagKey, TagValue, TagMap):
# a key of 1 to 128 letters, spaces, digits and _ . : / = + - @, not starting aws:;
# a value of at most 256 characters; at most 50 tags on a resource.
MAX_TAGS = 50
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
_TAG_KEY_PUNCTUATION = frozenset("_.:/=+-@")
_TAGS_EXPECTED = (
    "a mapping of tag keys to string values, like tags: {team: support} "
    "(a key given as null removes that tag)"
)

_INTERNATIONAL = "a number in international form, like +1 206 555 0100"


class NumberChecks(Reader):
    """The checks of ``numbers``: each entry, its description and its tags."""

    def numbers(self, node: Node, key: Node) -> tuple[DesiredNumber, ...]:
        expected = 'a list of phone numbers like - "+12065550100"'
        if isinstance(node, ScalarNode) and node.tag == _NULL:
            # "numbers:" with every entry deleted or commented out: never read
            # that as "release everything".
            self.fail(
                key,
                "numbers",
                "has no value",
                expected + "; to release every number write numbers: [] and allow_empty: true",
            )
        items = self.sequence(node, "numbers", expected)
        numbers: list[DesiredNumber] = []
        seen: dict[str, tuple[int | None, str]] = {}
        for index, item in enumerate(items):
            # The usual entry first: a plain scalar already in valid E.164, listed once.
            # It becomes exactly what ``number`` makes of it, without its general steps
            # (a third of the time of a 100k-number file); anything else takes them.
            if type(item) is ScalarNode and written_valid(text := item.value) and text not in seen:
                line = item.start_mark.line + 1  # both composers mark every node
                seen[text] = (line, text)
                numbers.append(DesiredNumber.proven(text, line))
                continue
            number = self.attempt(None, self.number, item, f"numbers[{index}]", seen)
            if number is not None:
                numbers.append(number)
        return tuple(numbers)

    def number(
        self, item: Node, path: str, seen: dict[str, tuple[int | None, str]]
    ) -> DesiredNumber | None:
        entry = self.number_entry(item, path)
        if entry is None:
            return None
        number_node, description, tags, path = entry
        text = str(number_node.value)
        line = _line(number_node)
        try:
            e164 = normalize_number(text)
        except ValueError as exc:
            self.fail(number_node, path, str(exc), _INTERNATIONAL)
        if e164 in seen:
            first_line, first_text = seen[e164]
            self.fail(
                number_node,
                path,
                f"{_shorten(text)!r} on line {line} is the same number as "
                f"{_shorten(first_text)!r} on line {first_line} (both are {e164})",
                "each number listed once",
            )
        seen[e164] = (line, text)
        try:
            return DesiredNumber(phone_number=e164, description=description, line=line, tags=tags)
        except ValueError as exc:  # phonenumbers and model.E164_PATTERN disagree
            self.fail(number_node, path, str(exc), _INTERNATIONAL)

    def number_entry(
        self, item: Node, path: str
    ) -> tuple[ScalarNode, str | None, tuple[tuple[str, str | None], ...], str] | None:
        """The node holding the number's text, the optional description, the tags the
        entry names (``tags:``), the key path.

        None when the entry has no number (recorded).
        """
        expected = (
            'a phone number like "+12065550100", or a mapping with number: (and optional '
            "description: and tags:)"
        )
        tags: tuple[tuple[str, str | None], ...] = ()
        if isinstance(item, MappingNode):
            found = self.entries(item, path, expected)
            suggested = self.reject_unknown(found, _NUMBER_KEYS, path)
            description = None
            if "description" in found:
                description = self.attempt(
                    None, self.string, found["description"].value, f"{path}.description"
                )
            if "tags" in found:
                tags = self.attempt((), self.tags, found["tags"].value, f"{path}.tags")
            if not self.require(found, ("number",), item, path, suggested):
                return None
            number_node = found["number"].value
            path = f"{path}.number"
        else:
            description = None
            number_node = item
        if not isinstance(number_node, ScalarNode):
            self.fail(number_node, path, f"got {_describe(number_node)}", expected)
        if number_node.tag == _NULL and number_node.value in ("", "~", "null", "Null", "NULL"):
            self.fail(number_node, path, "the entry is empty", expected)
        # Deliberately the raw text whatever the resolved tag: unquoted
        # +12065550100 is an int to YAML 1.1, but what the user wrote is a number.
        return number_node, description, tags, path

    def tags(self, node: Node, path: str) -> tuple[tuple[str, str | None], ...]:
        """A number's ``tags:``: key -> value (set it) or null (remove it), sorted by key.

        Only the keys named here are ever changed on the number (TagResource,
        UntagResource); its other tags are left as they are. Every bad key or value
        is recorded, each with its own line.
        """
        found = self.entries(node, path, _TAGS_EXPECTED)
        if len(found) > MAX_TAGS:
            self.fail(
                node,
                path,
                f"names {len(found)} tags; AWS allows at most {MAX_TAGS} on a phone number",
                f"at most {MAX_TAGS} tag keys",
            )
        tags: dict[str, str | None] = {}
        for name, entry in found.items():
            key_path = f"{path}.{_shorten(name)}"
            key_ok = self.attempt(False, self.tag_key, entry.key, key_path)
            invalid: tuple[bool, str | None] = (False, None)
            value_ok, value = self.attempt(invalid, self.tag_value, entry.value, key_path)
            if key_ok and value_ok:
                tags[name] = value
        return tuple(sorted(tags.items()))

    def tag_key(self, node: ScalarNode, path: str) -> bool:
        expected = (
            f"a tag key of 1 to {MAX_TAG_KEY_LENGTH} letters, digits, spaces and _ . : / = + - @, "
            "not starting with aws:"
        )
        if node.tag != _STR:
            self.fail(node, path, f"the key is {_describe(node)}", expected + " (quote it)")
        key = str(node.value)
        if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            self.fail(node, path, f"the key has {len(key)} characters", expected)
        if key.lower().startswith("aws:"):
            self.fail(node, path, "the prefix aws: is reserved for AWS's own tags", expected)
        bad = next((ch for ch in key if not _tag_key_char(ch)), None)
        if bad is not None:
            self.fail(node, path, f"the key contains {bad!r} (U+{ord(bad):04X})", expected)
        return True

    def tag_value(self, node: Node, path: str) -> tuple[bool, str | None]:
        """(True, a tag's value): a string (set), or an explicit null (remove the tag)."""
        expected = (
            f"a string of at most {MAX_TAG_VALUE_LENGTH} characters (quote numbers and "
            "booleans), or null to remove the tag"
        )
        if isinstance(node, ScalarNode) and node.tag == _NULL:
            if node.value == "":
                # `team:` with nothing after it is more likely a value forgotten than
                # a removal asked for: a removal is written out.
                self.fail(node, path, "has no value", expected + " (write null explicitly)")
            return True, None
        if not isinstance(node, ScalarNode) or node.tag != _STR:
            self.fail(node, path, f"got {_describe(node)}", expected)
        value = str(node.value)
        if len(value) > MAX_TAG_VALUE_LENGTH:
            self.fail(node, path, f"the value has {len(value)} characters", expected)
        return True, value


def _tag_key_char(ch: str) -> bool:
    """botocore's TagKey pattern ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``, one character."""
    return ch in _TAG_KEY_PUNCTUATION or unicodedata.category(ch)[0] in "LZN"
