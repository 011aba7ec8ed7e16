"""connect-numbers: keep an Amazon Connect account's claimed phone numbers equal to
a reviewed numbers.yaml, without ever breaching AWS's rolling claim/release quota.

Layers (enforced by import-linter, see ``pyproject.toml`` and the README):
``cli`` / ``pulumi_provider`` -> ``service`` -> ``planner`` -> ``quota`` -> ``model``;
``inventory.aws`` is the only module that imports boto3; ``emulator`` imports
nothing from the core.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
