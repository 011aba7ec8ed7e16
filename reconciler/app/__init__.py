"""The use cases the front doors call: plan, apply, import history, init.

``service`` composes the core with the adapters (numbers file, inventory,
history); ``executor`` performs a plan's releases through the ``Connect`` port
(``ports``); ``ledgers`` chooses a ledger backend from its URL. Nothing here
parses flags or prints.
"""
