"""The connect-numbers exception tree.

Every error says whose fault it is and what the caller can do next, in the
manner of httpx's ``_exceptions.py``. Library errors (botocore, PyYAML) are
mapped into this tree at one boundary each and chained with ``from exc``.

    ConnectNumbersError
    ├── InputError                 the user's input is wrong: fix the file
    │   ├── NumbersFileError       numbers.yaml: file, line, key, expectation
    │   │   └── NumbersFileErrors  several problems of one file, one line each
    │   └── LedgerFileError        a history (ledger) file: file, line
    └── AwsError                   talking to AWS failed
        ├── TransientAwsError      throttling, 5xx, network: retry later
        └── PermanentAwsError      AWS said no: fix config, permissions or targets
            ├── CredentialsError   no usable credentials / region / endpoint
            ├── AccessDeniedError  the caller lacks an IAM permission
            ├── NotFoundError      an instance or number does not exist
            ├── ConflictError      the number is busy (IN_PROGRESS) or a token was reused
            ├── QuotaExceededError AWS's own rolling quota refused a claim or release
            └── InvalidRequestError AWS rejected a parameter

A refused plan is not an error: the planner returns a ``Plan`` whose
``refusals`` say why, and the CLI turns that into exit code 3.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AccessDeniedError",
    "AwsError",
    "ConflictError",
    "ConnectNumbersError",
    "CredentialsError",
    "InputError",
    "InvalidRequestError",
    "LedgerFileError",
    "NotFoundError",
    "NumbersFileError",
    "NumbersFileErrors",
    "PermanentAwsError",
    "QuotaExceededError",
    "TransientAwsError",
]


class ConnectNumbersError(Exception):
    """Base class of every error this product raises on purpose."""


class InputError(ConnectNumbersError):
    """A file the user wrote is invalid. Nothing was read from or sent to AWS."""


class _LocatedError(InputError):
    """An input error at a place in a file: ``FILE:LINE: KEY: problem; expected``."""

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        key: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.key = key
        self.problem = message
        self.expected = expected
        where = path if line is None else f"{path}:{line}"
        text = f"{where}: {key}: {message}" if key else f"{where}: {message}"
        if expected:
            text = f"{text}; expected {expected}"
        super().__init__(text)


class NumbersFileError(_LocatedError):
    """``numbers.yaml`` is malformed or breaks a rule of version 1."""


class NumbersFileErrors(NumbersFileError):
    """Several problems in one numbers file: ``errors`` holds each, in file order.

    The location fields are the first problem's; ``str()`` is one line per
    problem, so a reviewer fixes them all in one round.
    """

    def __init__(self, errors: Sequence[NumbersFileError]) -> None:
        if not errors:
            raise ValueError("NumbersFileErrors needs at least one error")
        first = errors[0]
        super().__init__(
            first.path, first.problem, line=first.line, key=first.key, expected=first.expected
        )
        self.errors = tuple(errors)
        self.args = ("\n".join(str(error) for error in self.errors),)


class LedgerFileError(_LocatedError):
    """A history (ledger) file has a line that is not a valid event."""


class AwsError(ConnectNumbersError):
    """A call to AWS failed. ``operation`` names the API, ``code`` AWS's error code."""

    def __init__(self, message: str, *, operation: str | None = None, code: str | None = None):
        self.operation = operation
        self.code = code
        super().__init__(message)


class TransientAwsError(AwsError):
    """Throttling, a 5xx or a network fault that outlived the retries: run again later."""


class PermanentAwsError(AwsError):
    """AWS refused the request; retrying the same request will not help."""


class CredentialsError(PermanentAwsError):
    """No credentials, region or endpoint could be found in the standard AWS settings."""


class AccessDeniedError(PermanentAwsError):
    """The caller's IAM identity lacks a permission the product needs."""


class NotFoundError(PermanentAwsError):
    """A target instance or a phone number does not exist (or not in this region/account)."""


class ConflictError(PermanentAwsError):
    """ResourceInUseException or IdempotencyException: not now, or not with this token."""


class QuotaExceededError(PermanentAwsError):
    """AWS refused a claim or release: the account's rolling limit is spent."""


class InvalidRequestError(PermanentAwsError):
    """AWS rejected a parameter (a malformed ARN, an out-of-range value)."""
