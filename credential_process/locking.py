"""Cross-process locks around refresh, login and GetRoleCredentials.

Lock files live in this tool's own directory, never among the AWS CLI's cache
files. Each lock is an ``flock`` on its file, which the kernel releases when the
holder dies, so a SIGKILLed process never leaves a lock that blocks the next run.
The lock is taken with ``fcntl`` directly rather than through filelock, because
importing filelock 4.3 takes 60 to 100 ms and every waiting process in a storm of
parallel runs would pay it.

A waiter cannot tell from the lock alone whether the holder is doing a refresh
(seconds) or a login (up to a device code's lifetime), so the holder writes what
it is doing and until when next to the lock, and waiters size their wait by it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time

from . import cachefiles
from .errors import CredentialProcessError, EXIT_NETWORK

log = logging.getLogger(__name__)

# A refresh or GetRoleCredentials call finishes within botocore's retries and
# timeouts (3 attempts, 5 s to connect, 15 s to read), so a holder that takes
# longer than this is stuck.
SERVICE_CALL_WAIT_SECONDS = 75
# Added to a login holder's deadline before waiters give up on it.
LOGIN_WAIT_MARGIN_SECONDS = 30
POLL_SECONDS = 0.05


class LockTimeoutError(CredentialProcessError):
    exit_code = EXIT_NETWORK


class LockError(CredentialProcessError):
    """A lock file could not be opened."""


def lock_directory() -> str:
    return os.path.join(cachefiles.state_directory(), "locks")


class CacheLock:
    """A named lock; use as a context manager around the re-read and the call."""

    def __init__(self, name: str, description: str):
        directory = lock_directory()
        cachefiles.ensure_directory(directory)
        self.path = os.path.join(directory, name + ".lock")
        self.activity_path = os.path.join(directory, name + ".activity")
        self.description = description
        self._lock = ExclusiveFileLock(self.path)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()

    def acquire(self) -> None:
        started = time.monotonic()
        if self._try_acquire(0):
            return
        log.info("Waiting for another process that holds the lock on %s",
                 self.description)
        while True:
            if self._try_acquire(POLL_SECONDS):
                log.info("Acquired the lock on %s after %.1f s", self.description,
                         time.monotonic() - started)
                return
            waited = time.monotonic() - started
            # The limit is never below SERVICE_CALL_WAIT_SECONDS, so the activity
            # file is read only after that, not on every poll of every waiter.
            if waited > SERVICE_CALL_WAIT_SECONDS and waited > self._wait_limit(waited):
                raise LockTimeoutError(
                    f"Timed out after {waited:.0f} s waiting for another "
                    f"sso-credential-process that holds the lock on "
                    f"{self.description} ({self.path}). If no such process is "
                    "running, run the command again."
                )

    def _try_acquire(self, timeout: float) -> bool:
        return self._lock.acquire(timeout, POLL_SECONDS)

    def _wait_limit(self, waited: float) -> float:
        """Return how long to wait in all, given what the holder announced."""
        activity = self._read_activity()
        deadline = activity.get("deadline")
        if activity.get("activity") == "login" and isinstance(deadline, (int, float)):
            remaining = deadline - time.time() + LOGIN_WAIT_MARGIN_SECONDS
            return max(SERVICE_CALL_WAIT_SECONDS, waited + remaining)
        return SERVICE_CALL_WAIT_SECONDS

    def _read_activity(self) -> dict:
        import json

        try:
            with open(self.activity_path, encoding="utf-8") as stream:
                activity = json.load(stream)
        except (OSError, ValueError):
            return {}
        return activity if isinstance(activity, dict) else {}

    def announce(self, activity: str, deadline: float) -> None:
        """Tell waiters that the holder is doing ``activity`` until ``deadline``."""
        document = {"pid": os.getpid(), "activity": activity, "deadline": deadline}
        try:
            cachefiles.write_json_atomic(self.activity_path, document)
        except cachefiles.CacheWriteError as error:
            log.debug("Could not record the lock activity: %s", error)

    def release(self) -> None:
        if self._owns_activity():
            cachefiles.remove_file(self.activity_path)
        self._lock.release()

    def _owns_activity(self) -> bool:
        return self._read_activity().get("pid") == os.getpid()


class ExclusiveFileLock:
    """An exclusive ``flock`` on one lock file, held through an open descriptor."""

    def __init__(self, path: str):
        self.path = path
        self._descriptor = None

    def acquire(self, timeout: float, poll_interval: float) -> bool:
        """Take the lock, polling for up to ``timeout`` seconds; return success."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(self.path, flags, 0o600)
        except OSError as error:
            raise LockError(
                f"Unable to open the lock file {self.path}: {error.strerror}. Check "
                "that the directory belongs to you and is writable."
            ) from None
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(descriptor)
                    return False
                time.sleep(poll_interval)
                continue
            self._descriptor = descriptor
            return True

    def release(self) -> None:
        if self._descriptor is None:
            return
        # Closing the descriptor releases the flock.
        os.close(self._descriptor)
        self._descriptor = None


def session_lock(settings) -> CacheLock:
    key = cachefiles.token_cache_key(settings.cache_identity)
    return CacheLock("token-" + key, settings.description)


def role_lock(settings, key: str) -> CacheLock:
    description = (
        f"role {settings.role_name} in account {settings.account_id} for "
        f"{settings.description}"
    )
    return CacheLock("role-" + key, description)
