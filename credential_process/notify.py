"""Desktop notifications that tell a person a login is waiting for them."""

from __future__ import annotations

import logging
import os
import subprocess

log = logging.getLogger(__name__)

# notify-send returns at once; osascript can take a moment to start.
NOTIFIER_TIMEOUT_SECONDS = 10


def send(command: str, title: str, body: str) -> bool:
    """Show a notification with ``command`` (notify-send or osascript).

    The text goes in as arguments, never through a shell. It holds an address and
    a user code, which are not secrets: the code is useless without the device code
    that only this process has.
    """
    if os.path.basename(command) == "osascript":
        script = "on run argv\ndisplay notification (item 2 of argv) with title " \
                 "(item 1 of argv)\nend run"
        arguments = [command, "-e", script, title, body]
    else:
        arguments = [command, "--app-name=sso-credential-process", title, body]
    try:
        completed = subprocess.run(
            arguments, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, timeout=NOTIFIER_TIMEOUT_SECONDS, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        log.info("The desktop notification with %s failed: %s", command, error)
        return False
    if completed.returncode != 0:
        log.info("The desktop notification with %s exited with code %d", command,
                 completed.returncode)
        return False
    return True
