"""Exit codes and the exceptions that map to them.

Every failure the command line reports is one of these exceptions, so each exit
code is decided in exactly one place and each message says what failed, for which
profile or session, and what to run next.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_LOGIN_REQUIRED = 3
EXIT_SERVICE_REFUSED = 4
EXIT_NETWORK = 5


class CredentialProcessError(Exception):
    """Base class for failures with a user-facing message and an exit code."""

    exit_code = EXIT_UNEXPECTED


class ConfigError(CredentialProcessError):
    """Invalid command-line usage or configuration."""

    exit_code = EXIT_USAGE


class LoginRequiredError(CredentialProcessError):
    """No usable token, and no interactive login is possible or allowed."""

    exit_code = EXIT_LOGIN_REQUIRED


class ServiceRefusedError(CredentialProcessError):
    """The service rejected the request: access denied, invalid client, no such role."""

    exit_code = EXIT_SERVICE_REFUSED


class NetworkError(CredentialProcessError):
    """The service could not be reached, timed out, or kept failing after retries."""

    exit_code = EXIT_NETWORK


def login_command(target: str) -> str:
    """Return the command that logs in for ``target`` (``--profile P`` and the like)."""
    return f"sso-credential-process login {target} --use-device-code"
