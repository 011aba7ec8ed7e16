"""``python -m reconciler``: the same as the ``connect-numbers`` command."""

from reconciler.cli import run

if __name__ == "__main__":
    run()
