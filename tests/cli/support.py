"""Running the CLI in the test process, as a user's shell would see it."""

from __future__ import annotations

import pytest

from reconciler.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Exit code (as the shell sees it), stdout and stderr of one CLI invocation."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out, err
