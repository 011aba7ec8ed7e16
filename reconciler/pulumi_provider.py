"""The name under which Pulumi stacks' state holds the provider (kept for that reason).

Every ``ManagedNumber`` resource's ``__provider`` input is the provider pickled
by reference as ``reconciler.pulumi_provider.ManagedNumberProvider``, the
module it lived in before the folders of issue 13. The code lives in
``reconciler.pulumi.provider``; this module only keeps the name importable.
"""

from reconciler.pulumi.provider import ManagedNumberProvider

__all__ = ["ManagedNumberProvider"]
