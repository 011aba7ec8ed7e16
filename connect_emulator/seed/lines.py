"""YAML with line numbers: a loader that records where each mapping and key stands
(so a ``SeedError`` can name the line) and refuses duplicate keys."""

from __future__ import annotations

from typing import Any

import yaml


class _LineDict(dict[Any, Any]):
    """A mapping from YAML that remembers its line and the line of each key.

    Its name shows in seed errors ("must be a string, not _LineDict {...}"): keep it."""

    line: int | None = None
    key_lines: dict[Any, int]


class LineLoader(yaml.SafeLoader):
    """SafeLoader that records line numbers and refuses duplicate keys.

    PyYAML silently keeps the last of two equal keys; in a seed that hides a
    typo, so it is an error here.
    """


def _construct_mapping(loader: LineLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    mapping = _LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping.key_lines:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def line_of(mapping: object, key: str | None = None) -> int | None:
    if not isinstance(mapping, _LineDict):
        return None
    if key is not None and key in mapping.key_lines:
        return mapping.key_lines[key]
    return mapping.line
