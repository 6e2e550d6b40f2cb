"""Subcommands. Each module defines ``add_parser(subparsers)`` and ``run(arguments)``.

Modules import their heavy dependencies inside ``run`` so that building the
parser stays cheap.
"""

from __future__ import annotations

import importlib

# Subcommand names, in the order ``--help`` lists them; a name's module is
# credential_process.commands.<name with "-" as "_">.
SUBCOMMANDS = (
    "login",
    "logout",
    "status",
    "configure",
    "doctor",
    "exchange",
    "demo",
)


def load_command(name: str):
    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
