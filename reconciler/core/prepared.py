"""The planner's per-number work made ahead, page by page while the listing is read.

``planner.plan`` takes a :class:`Prepared` filled from the reading threads
(``InventoryReader.list_numbers(on_page=)``): the plan of 100,000 numbers then
does not build its ``Keep`` entries only after the last page (issue 12). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.core.model import DesiredNumber, DesiredState, Keep, LiveNumber

__all__ = ["Prepared", "entries_by_number", "make_keep"]


def entries_by_number(desired: DesiredState) -> dict[str, DesiredNumber]:
    """numbers.yaml's entries by their E.164 number."""
    return {d.phone_number: d for d in desired.numbers}


def make_keep(number: LiveNumber, want: DesiredNumber) -> Keep:
    """The plan's entry for a live number numbers.yaml keeps (``want``: its entry)."""
    return Keep(
        phone_number=number.phone_number,
        phone_number_id=number.phone_number_id,
        target_arn=number.target_arn,
        description=want.description or number.description,
        tags=want.tags,
    )


class Prepared:
    """What ``plan`` makes of each kept number, made ahead: page by page while the
    listing is still read (issue 12), so that the plan of 100,000 numbers does not
    build its ``Keep`` entries only after the last page.

    Pure, like the planner: ``add`` is given numbers (from the reading threads, each
    page once; ``dict.update`` makes each call whole), and ``plan`` takes what was
    made for exactly the same objects of the same file. By identity: the dict holds
    each number, so its id stays its own; a number read again or changed (a candidate
    once described) is a new object, made then. The plan is the same without it.
    """

    def __init__(self, desired: DesiredState) -> None:
        self.desired = desired
        self._wanted: dict[str, DesiredNumber] | None = None  # made by the first add
        self._made: dict[int, tuple[LiveNumber, Keep]] = {}

    def wanted(self) -> dict[str, DesiredNumber]:
        """The file's entries by number (made once, by the first page)."""
        if self._wanted is None:
            self._wanted = entries_by_number(self.desired)
        return self._wanted

    def add(self, numbers: Iterable[LiveNumber]) -> None:
        wanted = self.wanted()
        targets = self.desired.target_arns
        made: dict[int, tuple[LiveNumber, Keep]] = {}
        for n in numbers:
            want = wanted.get(n.phone_number)
            if want is not None and n.target_arn in targets:
                made[id(n)] = (n, make_keep(n, want))
        self._made.update(made)

    def keep(self, number: LiveNumber, want: DesiredNumber) -> Keep:
        made = self._made.get(id(number))
        return made[1] if made is not None else make_keep(number, want)
