"""The Pulumi program (``pulumi preview`` / ``pulumi up``).

Minimal for now: it validates the numbers file named by the stack config
``connect-numbers:numbersFile`` and exports what it declares. The front door
that plans and releases through the same core as the CLI is tracked separately
(issue 4).
"""

import pulumi

from reconciler import desired

config = pulumi.Config("connect-numbers")
state = desired.load_desired(config.get("numbersFile") or "numbers.yaml")

pulumi.export("targets", [t.arn for t in state.targets])
pulumi.export("desired_numbers", [n.phone_number for n in state.numbers])
pulumi.export("quota_limit", state.quota.limit)
