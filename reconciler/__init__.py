"""connect-numbers: keep an Amazon Connect account's claimed phone numbers equal to
a reviewed numbers.yaml, without ever breaching AWS's rolling claim/release quota.

The folders are the layers (README, "Architecture"; enforced by import-linter,
``pyproject.toml``), each importing only those below it:

- ``cli`` and ``pulumi``: the front doors (flags, output, the Pulumi program's
  component and its dynamic provider);
- ``app``: the use cases they call (plan, apply, history, choosing a ledger);
- ``aws``: every boto3 call (Connect, the S3 ledger, CloudTrail, Service Quotas);
- ``ledger`` and ``desired``: the history file and numbers.yaml;
- ``core``: the pure model, rules and views: no I/O, no clock.

The emulator is its own package, ``connect_emulator``, and imports nothing of these.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
