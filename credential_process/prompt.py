"""Where login prompts go: stderr for the login command, the terminal for SDKs.

SDKs run a credential process with stdout and stderr both piped and show stderr
only after a failure, so a device code written there is never seen. From the
credential path the prompt goes to the controlling terminal, ``/dev/tty``, which
the process inherits from the user's shell even when all three streams are pipes.
"""

from __future__ import annotations

import logging
import os
import sys

from . import timeutil

log = logging.getLogger(__name__)


class Prompt:
    """Shows a device authorization to a person and reports the outcome."""

    def __init__(self, stream, open_browser: bool):
        self._stream = stream
        self._open_browser = open_browser

    def write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except OSError as error:
            log.debug("Could not write the login prompt: %s", error)

    def show_device_authorization(self, settings, authorization: dict) -> None:
        uri = authorization.get("verificationUri", "")
        complete = authorization.get("verificationUriComplete") or uri
        code = authorization.get("userCode", "")
        minutes = max(1, int(authorization.get("expiresIn") or 600) // 60)
        self.write(
            f"\nTo sign in to {settings.description} ({settings.start_url}), open\n"
            f"    {uri}\n"
            f"and enter the code\n"
            f"    {code}\n"
            f"or open this address, which fills in the code:\n"
            f"    {complete}\n"
            f"The code expires in {minutes} minutes.\n"
        )
        if self._open_browser:
            open_in_browser(complete)

    def show_success(self, settings, expires_at: float) -> None:
        self.write(
            f"Signed in to {settings.description}; the session token expires at "
            f"{timeutil.format_timestamp(expires_at)}.\n"
        )

    def close(self) -> None:
        if self._stream not in (sys.stderr, sys.stdout):
            try:
                self._stream.close()
            except OSError:
                pass


def open_terminal():
    """Return a text stream on the controlling terminal, or None if there is none."""
    try:
        descriptor = os.open("/dev/tty", os.O_WRONLY | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    return os.fdopen(descriptor, "w", encoding="utf-8", errors="replace")


def terminal_prompt():
    """Return a Prompt on the controlling terminal, or None if nobody can be reached."""
    stream = open_terminal()
    if stream is None:
        return None
    return Prompt(stream, open_browser=browser_available())


def stderr_prompt(open_browser: bool) -> Prompt:
    return Prompt(sys.stderr, open_browser=open_browser and browser_available())


# Text-mode browsers that Python's webbrowser may pick when TERM is set; started in
# the user's terminal they take it over and hide the code.
CONSOLE_BROWSERS = ("www-browser", "links", "elinks", "lynx", "w3m")


def browser_available() -> bool:
    """Return whether a graphical browser can plausibly be opened."""
    if os.environ.get("SSO_CREDENTIAL_PROCESS_NO_BROWSER"):
        return False
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_in_browser(url: str) -> bool:
    """Open ``url`` once in a graphical browser; return whether that worked."""
    import webbrowser

    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        log.info("No browser found to open the sign-in page")
        return False
    name = getattr(browser, "name", "") or ""
    if os.path.basename(name) in CONSOLE_BROWSERS:
        log.info("Not starting the text-mode browser %s in this terminal", name)
        return False
    try:
        opened = browser.open(url, new=2)
    except Exception as error:  # webbrowser raises anything its helpers raise.
        log.info("Opening the browser failed: %s", error)
        return False
    return bool(opened)
