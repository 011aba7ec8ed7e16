"""What reading numbers.yaml costs: 100,000 numbers with descriptions.

Issue 12's goal: validating the file takes less time than PyYAML's pure-Python
loader takes merely to parse it. Measured, each as the median of ``--runs``
runs in this process, CPU time (``time.process_time``: the machine is shared,
and wall time then measures the neighbours) beside wall time:

1. ``yaml.load(text, Loader=yaml.SafeLoader)``: PyYAML's pure-Python parse,
   building plain Python objects; nothing is validated;
2. ``desired.load_desired``: the product, read, composed by libyaml, every
   value and number validated (nothing remembered from an earlier run);
3. the same with the paths this replaced forced (the checked composer in
   Python, every number through ``phonenumbers.parse``): the cost before;
4. normalizing the 100,000 numbers of the live listing (E.164, as
   ListPhoneNumbersV2 returns them) once the file was read, and cold.

The file is generated (seeded): 85% North American numbers, the rest London
and Berlin, each with a description, about 7 MB. Usage::

    .venv/bin/python bench/numbers_load.py [--numbers 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import phonenumbers
import yaml

from bench._common import log
from reconciler import desired
from reconciler.desired import compose as desired_compose
from reconciler.desired import numbers as desired_numbers

AREAS = (206, 212, 305, 312, 404, 415, 503, 512, 602, 617, 646, 702, 713, 720, 801, 808, 919)


def numbers(count: int, seed: int = 20261128) -> list[str]:
    """``count`` distinct valid numbers in E.164."""
    rng = random.Random(seed)
    found: dict[str, None] = {}
    while len(found) < count:
        roll = rng.random()
        if roll < 0.85:
            text = f"+1{rng.choice(AREAS)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        elif roll < 0.93:
            text = f"+4420{rng.randint(70000000, 79999999)}"
        else:
            text = f"+4930{rng.randint(10000000, 99999999)}"
        if text not in found and phonenumbers.is_valid_number(phonenumbers.parse(text)):
            found[text] = None
    return list(found)


def numbers_file(listed: list[str]) -> bytes:
    lines = [
        "version: 1",
        "targets:",
        "  - arn: arn:aws:connect:us-east-1:111122223333:instance/"
        "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
        "quota:",
        f"  phone_numbers: {2 * len(listed)}",
        "numbers:",
    ]
    for index, number in enumerate(listed):
        lines.append(f'  - number: "{number}"')
        lines.append(f"    description: Support line {index} (team {index % 97})")
    return ("\n".join(lines) + "\n").encode()


def forget() -> None:
    """What an earlier run of this process left behind: nothing is remembered."""
    desired._parsed.clear()
    desired_numbers._known.clear()


@contextlib.contextmanager
def before_issue_12() -> Iterator[None]:
    """The paths the fast ones replaced: the checked composer, the full parse for every number."""
    compose_fast, shape = desired_compose.compose_fast, desired_numbers._E164_SHAPE
    desired_compose.compose_fast = lambda text: (False, None)  # type: ignore[assignment]
    desired_numbers._E164_SHAPE = re.compile(r"(?!)")  # matches nothing
    try:
        yield
    finally:
        desired_compose.compose_fast, desired_numbers._E164_SHAPE = compose_fast, shape  # type: ignore[assignment]


def timed(run: Callable[[], Any], runs: int, before: Callable[[], None] = forget) -> dict[str, Any]:
    cpu, wall = [], []
    for _ in range(runs):
        before()
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        run()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return {
        "cpu_s": round(statistics.median(cpu), 3),
        "wall_s": round(statistics.median(wall), 3),
        "cpu_s_all": [round(c, 3) for c in cpu],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--numbers", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, PyYAML {yaml.__version__} "
        f"(libyaml: {yaml.__with_libyaml__}), phonenumbers {phonenumbers.__version__}, "
        f"load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    log(f"generating {args.numbers} numbers")
    listed = numbers(args.numbers)
    data = numbers_file(listed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "numbers.yaml"
        path.write_bytes(data)
        text = data.decode()
        log("PyYAML pure-Python parse")
        pure = timed(lambda: yaml.load(text, Loader=yaml.SafeLoader), args.runs)
        log("load_desired")
        product = timed(lambda: desired.load_desired(path), args.runs)
        state = desired.load_desired(path)
        assert [n.phone_number for n in state.numbers] == listed
        log("load_desired with the paths issue 12 replaced")
        with before_issue_12():
            before = timed(lambda: desired.load_desired(path), max(1, args.runs - 1))
            assert desired.load_desired(path) == state
        log("the live listing's numbers")

        def read_file_then_forget_nothing() -> None:
            forget()
            desired.load_desired(path)

        live_after_file = timed(
            lambda: [desired.normalize_number(n) for n in listed],
            args.runs,
            before=read_file_then_forget_nothing,
        )
        live_cold = timed(lambda: [desired.normalize_number(n) for n in listed], args.runs)
    result = {
        "numbers": args.numbers,
        "file_bytes": len(data),
        "pyyaml_pure_parse": pure,
        "load_desired": product,
        "load_desired_before_issue_12": before,
        "goal_met": product["cpu_s"] < pure["cpu_s"],
        "load_over_pure_parse_cpu": round(product["cpu_s"] / pure["cpu_s"], 3),
        "live_numbers_after_the_file": live_after_file,
        "live_numbers_cold": live_cold,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
