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

    def __init__(self, stream, open_browser: bool, notifier=None, caller_pid=None):
        self._stream = stream
        self._open_browser = open_browser
        self._notifier = notifier
        # The prompt writes only while this process (the program that asked for
        # credentials) runs. After it exits, the terminal belongs to the shell.
        self._caller_pid = caller_pid
        self._deadline = None
        self._browser_tried = False
        self._browser_opened = False
        self._notified = False
        self._countdown_shown = False
        self._silenced = False

    @property
    def reaches_person(self) -> bool:
        """Return whether a terminal, a browser or a notification can be used."""
        return bool(self._stream is not None or self._open_browser or self._notifier)

    def write(self, text: str) -> None:
        if self._stream is None or self._silenced:
            return
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError) as error:
            log.debug("Could not write the login prompt: %s", error)

    def show_device_authorization(self, settings, authorization: dict) -> None:
        uri = printable(authorization.get("verificationUri", ""))
        complete = printable(authorization.get("verificationUriComplete") or uri)
        code = printable(authorization.get("userCode", ""))
        minutes = max(1, int(authorization.get("expiresIn") or 600) // 60)
        self.write(
            f"\nTo sign in to {settings.description} ({settings.start_url}), open\n"
            f"    {uri}\n"
            f"and enter the code\n"
            f"    {code}\n"
            f"or open this address, which fills in the code:\n"
            f"    {complete}\n"
            f"The code expires in {minutes} minute{'' if minutes == 1 else 's'}.\n"
        )
        self._deadline = timeutil.now() + int(authorization.get("expiresIn") or 600)
        self._reach(settings, complete, f"enter the code {code}")

    def show_authorization_url(self, settings, url: str, expires_in: float) -> None:
        """Show the /authorize address of the authorization-code login and open it."""
        url = printable(url)
        self.write(
            f"\nTo sign in to {settings.description} ({settings.start_url}), "
            f"approve the request\nin the browser. If no browser opens, open\n"
            f"    {url}\n"
            f"If you cannot open it on this device, run sso-credential-process "
            f"login {settings.login_target} --use-device-code instead.\n"
        )
        self._deadline = timeutil.now() + expires_in
        self._reach(settings, url, "approve the request in the browser")

    def _reach(self, settings, url: str, action: str) -> None:
        """Open the browser and notify; raise LoginRequiredError if no channel worked.

        Without this check, a login whose only channel failed (a broken BROWSER
        command, no terminal) would poll unseen until the code expires.
        """
        # One browser attempt per login: a device flow restarted with a new client
        # shows a new code here but does not open a second tab.
        if self._open_browser and not self._browser_tried:
            self._browser_tried = True
            self._browser_opened = open_in_browser(url)
        if self._notifier:
            from . import notify

            self._notified = notify.send(
                self._notifier, f"Sign in to {settings.description}",
                f"Open {url} and {action}.",
            )
            self._notifier = None
        if self._stream is None and not (self._browser_opened or self._notified):
            from .errors import LoginRequiredError, login_command

            raise LoginRequiredError(
                f"Login required for {settings.description}: there is no terminal "
                "for the sign-in prompt, and opening the browser or sending a "
                "desktop notification failed (check the BROWSER variable). Run: "
                f"{login_command(settings.login_target)}"
            )

    def sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, rewriting the countdown line once a second meanwhile."""
        import time

        end = time.monotonic() + seconds
        while True:
            self.show_countdown()
            left = end - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(1.0, left))

    def show_countdown(self) -> None:
        """Rewrite one terminal line with the time left to approve the login."""
        if self._deadline is None or not self._is_terminal():
            return
        if self._caller_gone():
            # The shell has the terminal again and may have drawn its prompt after
            # the countdown, so nothing more is written, not even a line clear.
            self._silenced = True
            self._countdown_shown = False
            self._deadline = None
            return
        left = max(0, int(self._deadline - timeutil.now()))
        self.write(f"\rWaiting for approval; the request expires in "
                   f"{left // 60:d}:{left % 60:02d} ")
        self._countdown_shown = True

    def _caller_gone(self) -> bool:
        if self._caller_pid is None:
            return False
        from .lockwatch import process_alive

        return not process_alive(self._caller_pid)

    def _is_terminal(self) -> bool:
        try:
            return self._stream is not None and self._stream.isatty()
        except (OSError, ValueError):
            return False

    def end_countdown(self) -> None:
        if self._countdown_shown:
            self.write("\r\033[K")
            self._countdown_shown = False

    def show_success(self, settings, expires_at: float) -> None:
        self.end_countdown()
        self.write(
            f"Signed in to {settings.description}; the session token expires at "
            f"{timeutil.format_timestamp(expires_at)}.\n"
        )

    def close(self) -> None:
        self.end_countdown()
        if self._stream not in (None, sys.stderr, sys.stdout):
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
    from . import environment

    return environment.current().browser_available()


def printable(text) -> str:
    """Replace control characters, so service text cannot drive the terminal."""
    return "".join(
        "?" if ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 else c for c in str(text)
    )


def is_web_url(url: str) -> bool:
    """Return whether ``url`` is https, or http on this machine's loopback."""
    from urllib.parse import urlsplit

    from .clients import is_loopback_host

    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and is_loopback_host(parts.hostname or "")


def open_in_browser(url: str) -> bool:
    """Open ``url`` once in a graphical browser; return whether that worked."""
    import webbrowser

    if not is_web_url(url):
        log.warning("Not opening %s in a browser: it is not an https address", url)
        return False

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
