"""Retry and timeout settings of every service call, without importing botocore.

Lock waiters size their waits by the longest call, and they must not pay for
importing botocore just to learn it.
"""

from __future__ import annotations

import os

# botocore's standard retry mode retries throttling, 5xx responses and connection
# errors with exponential backoff and jitter; 3 attempts in all.
RETRY_CONFIG = {"mode": "standard", "total_max_attempts": 3}
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 15
# Environment variables that override the two timeouts, in seconds; the fault tests
# use them to exercise a timeout without waiting for the defaults.
CONNECT_TIMEOUT_VARIABLE = "SSO_CREDENTIAL_PROCESS_CONNECT_TIMEOUT"
READ_TIMEOUT_VARIABLE = "SSO_CREDENTIAL_PROCESS_READ_TIMEOUT"


def _timeout_from_environment(variable: str, default: float) -> float:
    try:
        value = float(os.environ.get(variable) or default)
    except ValueError:
        import logging

        logging.getLogger(__name__).warning(
            "Ignoring %s=%r, which is not a number of seconds", variable,
            os.environ.get(variable),
        )
        return default
    return value if value > 0 else default


def timeouts():
    """Return the (connect, read) timeouts of every service call, in seconds."""
    return (
        _timeout_from_environment(CONNECT_TIMEOUT_VARIABLE, CONNECT_TIMEOUT_SECONDS),
        _timeout_from_environment(READ_TIMEOUT_VARIABLE, READ_TIMEOUT_SECONDS),
    )


def longest_call_seconds() -> float:
    """Return how long one call can take with every retry and timeout, in seconds."""
    connect, read = timeouts()
    attempts = RETRY_CONFIG["total_max_attempts"]
    # Standard mode sleeps up to 1 s before the second attempt and 2 s before the
    # third (random exponential backoff, base 1 s).
    return attempts * (connect + read) + (attempts - 1) * 2
