"""What the benchmark scripts share: a hermetic AWS environment and progress logging."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REGION = "us-east-1"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def hermetic_aws_env(name: str) -> None:
    """Dummy credentials, no profile, no retry settings: nothing of a real AWS setup."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            del os.environ[key]
    missing = Path(tempfile.mkdtemp(prefix=f"{name}-aws-config-"))
    os.environ.update(
        AWS_ACCESS_KEY_ID=name,
        AWS_SECRET_ACCESS_KEY=name,
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_CONFIG_FILE=str(missing / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(missing / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
