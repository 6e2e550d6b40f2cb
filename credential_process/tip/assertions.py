"""The assertion: a trusted token issuer's JWT from a file, a variable or a command.

The assertion is a bearer secret, so it is never logged, never put in a message
and never passed on a command line. A command runs without a shell (its line is
split with ``shlex``), with no stdin and with a timeout. Its stderr is discarded,
because a failing token helper may print the token there.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess

from .. import timeutil
from ..errors import ConfigError, LoginRequiredError, NetworkError
from .jwt import JwtError, decode_payload

log = logging.getLogger(__name__)

MAX_ASSERTION_BYTES = 64 * 1024
# A token helper that prints nothing within this time is stuck. The Go SDK v2 kills
# a credential process after one minute by default, so this stays below that.
ASSERTION_PROCESS_TIMEOUT_SECONDS = 30


class Assertion:
    """An assertion and the claims that name its cache entries."""

    def __init__(self, token: str, claims: dict):
        self.token = token
        self.issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else ""
        self.subject = claims.get("sub")
        self.expires_at = claims.get("exp")


class AssertionSource:
    """Reads assertions from the source named in the settings."""

    def __init__(self, settings):
        self.settings = settings
        self.kind = settings.assertion_kind
        self.value = settings.assertion_value

    @property
    def is_cheap(self) -> bool:
        """Return whether reading has no side effects (a file or a variable)."""
        return self.kind in ("file", "env")

    @property
    def description(self) -> str:
        if self.kind == "file":
            return f"the assertion file {self.value}"
        if self.kind == "env":
            return f"the environment variable {self.value}"
        try:
            program = shlex.split(self.value)[0]
        except (ValueError, IndexError):
            program = self.value
        return f"the assertion command {program!r}"

    def read(self) -> Assertion:
        """Return a usable assertion, or raise the error for the exit code."""
        if self.kind == "file":
            text = self._read_file()
        elif self.kind == "env":
            text = self._read_variable()
        else:
            text = self._run_command()
        log.info("Read an assertion from %s", self.description)
        return self._parse(text.strip())

    def _read_file(self) -> str:
        try:
            with open(self.value, "rb") as stream:
                data = stream.read(MAX_ASSERTION_BYTES + 1)
        except OSError as error:
            raise ConfigError(
                f"Unable to read the assertion file {self.value} for "
                f"{self.settings.description}: {error.strerror}. Check the path "
                "(--assertion-file) and that the token issuer has written it."
            ) from None
        return self._text(data)

    def _read_variable(self) -> str:
        text = os.environ.get(self.value, "")
        if not text.strip():
            raise ConfigError(
                f"The environment variable {self.value} that should hold the "
                f"assertion for {self.settings.description} is not set or empty. "
                "Set it to the token issuer's JWT, or fix --assertion-env."
            )
        return text

    def _run_command(self) -> str:
        try:
            command = shlex.split(self.value)
        except ValueError as error:
            raise ConfigError(
                f"Unable to parse the assertion command for "
                f"{self.settings.description}: {error}. Fix --assertion-process."
            ) from None
        if not command:
            raise ConfigError("The assertion command (--assertion-process) is empty.")
        try:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                timeout=ASSERTION_PROCESS_TIMEOUT_SECONDS,
            )
        except FileNotFoundError:
            raise ConfigError(
                f"The assertion command {command[0]!r} for "
                f"{self.settings.description} was not found. Give its absolute path "
                "in --assertion-process."
            ) from None
        except OSError as error:
            raise ConfigError(
                f"Unable to run the assertion command {command[0]!r}: "
                f"{error.strerror}."
            ) from None
        except subprocess.TimeoutExpired:
            raise NetworkError(
                f"The assertion command {command[0]!r} for "
                f"{self.settings.description} timed out after "
                f"{ASSERTION_PROCESS_TIMEOUT_SECONDS} s. Run it by hand to see why."
            ) from None
        if result.returncode != 0:
            raise LoginRequiredError(
                f"The assertion command {command[0]!r} for "
                f"{self.settings.description} failed with exit code "
                f"{result.returncode}, so no assertion is available. Run it by hand "
                "to see its error (its stderr is not shown, because it may contain "
                "a token)."
            )
        return self._text(result.stdout[: MAX_ASSERTION_BYTES + 1])

    def _text(self, data: bytes) -> str:
        if len(data) > MAX_ASSERTION_BYTES:
            raise LoginRequiredError(
                f"The assertion from {self.description} is larger than "
                f"{MAX_ASSERTION_BYTES} bytes, so it is not a JWT. Check the source."
            )
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise LoginRequiredError(
                f"The assertion from {self.description} is not UTF-8 text. Check "
                "the source."
            ) from None

    def _parse(self, token: str) -> Assertion:
        """Check what can be checked without the issuer's keys: form, sub and exp."""
        if not token:
            raise LoginRequiredError(
                f"The assertion from {self.description} is empty. Get a new token "
                "from the token issuer."
            )
        try:
            claims = decode_payload(token)
        except JwtError as error:
            raise LoginRequiredError(
                f"The assertion from {self.description} is invalid: {error}. Get a "
                "new token from the token issuer."
            ) from None
        assertion = Assertion(token, claims)
        if not isinstance(assertion.subject, str) or not assertion.subject:
            raise LoginRequiredError(
                f"The assertion from {self.description} has no sub (subject) claim. "
                "Check that it is an identity token of the trusted token issuer."
            )
        expires_at = assertion.expires_at
        if isinstance(expires_at, (int, float)) and expires_at <= timeutil.now():
            raise LoginRequiredError(
                f"The assertion from {self.description} expired at "
                f"{timeutil.format_timestamp(expires_at)}. Get a new token from the "
                f"token issuer, then run the command again."
            )
        return assertion

    def peek_identity(self):
        """Return (issuer, subject) of the current assertion without side effects.

        Only files and variables are read here. Returns None when the source is a
        command or cannot be read, and the caller then falls back to the subject
        remembered from the last assertion.
        """
        if not self.is_cheap:
            return None
        try:
            text = self._read_file() if self.kind == "file" else self._read_variable()
            claims = decode_payload(text.strip())
        except (ConfigError, LoginRequiredError, JwtError):
            return None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            return None
        issuer = claims.get("iss") if isinstance(claims.get("iss"), str) else ""
        return issuer, subject
