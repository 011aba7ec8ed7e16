"""ConnectNumbers composed with an aws.connect.Instance in a user's own program.

The component's targets are outputs of another resource: the instance's ARN.
The plan is made once the ARN is known (a preview of a new instance has no
numbers to show), and each number is a child of the component, released only
by an update a preview showed on its own row (see the README, "Pulumi").
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from reconciler.pulumi.component import ConnectNumbers


def main() -> None:
    instance = aws.connect.Instance(
        "contact-center",
        identity_management_type="CONNECT_MANAGED",
        inbound_calls_enabled=True,
        outbound_calls_enabled=True,
        instance_alias="demo-contact-center",
    )
    numbers = ConnectNumbers(
        "phone-numbers",
        numbers_file="phone-numbers.yaml",
        targets=[instance.arn],
        ledger=pulumi.Config().get("ledger") or None,
        opts=pulumi.ResourceOptions(depends_on=[instance]),
    )
    pulumi.export("instanceArn", instance.arn)
    pulumi.export("plan", numbers.plan)
    pulumi.export("quota", numbers.quota)


if __name__ == "__main__":
    main()
