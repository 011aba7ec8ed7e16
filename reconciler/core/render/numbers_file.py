"""numbers.yaml from a live inventory (``connect-numbers init``): keeps every number
claimed today, so the first plan releases nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from reconciler.core.model import LiveNumber


def _yaml_string(text: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def render_numbers_file(
    targets: tuple[str, ...],
    numbers: tuple[LiveNumber, ...],
    *,
    fallback: int,
    descriptions: Mapping[str, str] | None = None,
) -> str:
    """A numbers.yaml that keeps every number claimed to ``targets`` today.

    Adopting the product on an existing account must plan zero releases, so every
    listed number is kept, whatever its status; descriptions are carried over.
    ``descriptions``: targets[].description of some targets (init names the traffic
    distribution groups it adds).
    """
    descs = descriptions or {}
    out = [
        "# yaml-language-server: $schema=./numbers.schema.json",
        "# Written by `connect-numbers init` from the live inventory: it keeps every",
        "# number claimed to the targets below, so the first plan releases nothing.",
        "# Remove a number to release it (irreversible: a cooldown of up to 180 days).",
        "version: 1",
        "targets:",
        *(
            f"  - arn: {arn}"
            + (f"\n    description: {_yaml_string(descs[arn])}" if arn in descs else "")
            for arn in targets
        ),
        "quota:",
        "  phone_numbers: auto      # the applied Service Quotas value (L-8F812903)",
        f"  fallback: {fallback:<14} # used, with a warning, when it cannot be read",
        "  window_days: 180",
        "  limit_percent: 200",
        "  reserve: 0",
        "safety:",
        "  max_releases: 10",
        "numbers:" if numbers else "numbers: []",
    ]
    for n in sorted(numbers, key=lambda n: n.phone_number):
        out.append(f"  - number: {_yaml_string(n.phone_number)}")
        if n.description:
            out.append(f"    description: {_yaml_string(n.description)}")
    return "\n".join(out) + "\n"
