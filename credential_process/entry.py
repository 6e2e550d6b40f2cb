"""Console entry point: try the cache-hit path, then the full command line."""

from __future__ import annotations

import sys


def main(argv=None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    from .fastpath import cached_output

    document = cached_output(arguments)
    if document is not None:
        sys.stdout.write(document)
        sys.stdout.flush()
        return 0
    from .cli import run

    return run(arguments)
