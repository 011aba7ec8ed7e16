"""The pure core: the model, the rules and the views. No I/O, no clock, no AWS.

Everything here is a function of its arguments: the planner decides the plan,
``apply_rules`` what apply may do with it, ``trail`` which CloudTrail events the
ledger gains; ``quota`` counts the rolling window, ``render`` draws every view of
a plan, ``planfile`` maps a saved plan to and from its JSON, ``stack`` maps a plan
to the Pulumi resources. The shells (``reconciler.aws``, ``reconciler.ledger``,
``reconciler.app``, the front doors) read and write; this package only computes.
"""
