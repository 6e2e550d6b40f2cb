"""Cross-process locks around refresh, login and GetRoleCredentials.

Lock files live in this tool's own directory, never among the AWS CLI's cache
files. filelock takes an ``flock`` on POSIX, which the kernel releases when the
holder dies, so a SIGKILLed process never leaves a lock that blocks the next run.
filelock is imported only when a lock is taken: the import costs about 30 ms
(filelock 4.3, measured on a 2-core machine), which a cache hit never pays.

A waiter cannot tell from the lock alone whether the holder is doing a refresh
(seconds) or a login (up to a device code's lifetime), so the holder writes what
it is doing and until when next to the lock, and waiters size their wait by it.
"""

from __future__ import annotations

import logging
import os
import time

from . import callsettings, cachefiles, lockwatch, timeutil
from .errors import CredentialProcessError, EXIT_NETWORK

log = logging.getLogger(__name__)

# Added to the longest a service call can take (every retry and timeout) for the
# holder's own start-up and file writes on a loaded machine.
HOLDER_MARGIN_SECONDS = 10
POLL_SECONDS = 0.05


def service_call_wait_seconds() -> float:
    """Return how long a refresh or GetRoleCredentials may hold a lock, in seconds.

    With the default timeouts (3 attempts, 5 s to connect, 15 s to read) this is
    74 s; a holder that takes longer is stuck.
    """
    return callsettings.longest_call_seconds() + HOLDER_MARGIN_SECONDS


class LockTimeoutError(CredentialProcessError):
    exit_code = EXIT_NETWORK


ACTIVITY_NAMES = {"refresh": "refreshing the SSO token", "login": "waiting for a login"}


def lock_directory() -> str:
    return lockwatch.lock_directory()


class CacheLock:
    """A named lock; use as a context manager around the re-read and the call."""

    def __init__(self, name: str, description: str):
        directory = lock_directory()
        self.path = os.path.join(directory, name + ".lock")
        self.activity_path = os.path.join(directory, name + ".activity")
        self.description = description
        # Imported here: only a cache miss takes a lock, and a hit must stay cheap.
        from filelock import FileLock

        self._lock = FileLock(self.path, mode=0o600)
        self._owns_lock = False
        try:
            cachefiles.ensure_directory(directory)
        except cachefiles.CacheWriteError as error:
            self._unavailable(error)

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()

    def acquire(self) -> None:
        started = time.monotonic()
        self._base_wait = service_call_wait_seconds()
        try:
            if self._try_acquire(0):
                return
            log.info("Waiting for another process that holds the lock on %s",
                     self.description)
            while True:
                if self._try_acquire(POLL_SECONDS):
                    log.info("Acquired the lock on %s after %.1f s",
                             self.description, time.monotonic() - started)
                    return
                waited = time.monotonic() - started
                # The limit is never below the service-call bound, so the holder's
                # activity file is read only past it, not on every poll.
                if waited > self._base_wait and waited > self._wait_limit(waited):
                    raise LockTimeoutError(self._timeout_message(waited))
        except OSError as error:
            # filelock raises OSError when the lock file cannot be created (a
            # read-only or full state directory).
            self._unavailable(error)

    def _unavailable(self, error) -> None:
        """Go on without the lock: credentials matter more than one shared call."""
        self._lock = None
        log.warning(
            "Could not use the lock file %s (%s); continuing without the lock, so "
            "parallel runs may each call the service. Make %s writable.",
            self.path, getattr(error, "strerror", None) or error, lock_directory(),
        )

    def _timeout_message(self, waited: float) -> str:
        activity = self._read_activity()
        holder = "another sso-credential-process"
        if isinstance(activity.get("pid"), int):
            doing = ACTIVITY_NAMES.get(activity.get("activity"), "a service call")
            holder += f" (process {activity['pid']}, {doing})"
        return (
            f"Timed out after {waited:.0f} s waiting for {holder} that holds the "
            f"lock on {self.description} ({self.path}). If that process hangs, "
            "stop it; otherwise run the command again."
        )

    def _try_acquire(self, timeout: float) -> bool:
        if self._lock is None:
            return True
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=timeout, poll_interval=POLL_SECONDS)
        except Timeout:
            return False
        self._owns_lock = True
        return True

    def _wait_limit(self, waited: float) -> float:
        """Return how long to wait in all, given what the holder announced."""
        activity = self._read_activity()
        deadline = activity.get("deadline")
        base = service_call_wait_seconds()
        if activity.get("activity") == "login" and isinstance(deadline, (int, float)):
            # After the device code expires the holder still makes one call.
            remaining = deadline - time.time() + base
            return max(base, waited + remaining)
        return base

    def _read_activity(self) -> dict:
        import json

        try:
            with open(self.activity_path, encoding="utf-8") as stream:
                activity = json.load(stream)
        except (OSError, ValueError):
            return {}
        return activity if isinstance(activity, dict) else {}

    def announce(self, activity: str, deadline: float) -> None:
        """Tell waiters that the holder is doing ``activity`` until ``deadline``.

        ``deadline`` is on the ``timeutil.now()`` clock. The file holds the local
        wall-clock time, because a waiter may apply a different service offset.
        """
        if self._lock is None:
            return
        local_deadline = time.time() + (deadline - timeutil.now())
        document = {"pid": os.getpid(), "activity": activity,
                    "deadline": local_deadline}
        try:
            cachefiles.write_json_atomic(self.activity_path, document)
        except cachefiles.CacheWriteError as error:
            log.debug("Could not record the lock activity: %s", error)

    def release(self) -> None:
        if not self._owns_lock:
            return
        if self._owns_activity():
            try:
                cachefiles.remove_file(self.activity_path)
            except OSError as error:
                log.debug("Could not remove %s: %s", self.activity_path, error)
        self._owns_lock = False
        self._lock.release()

    def _owns_activity(self) -> bool:
        return self._read_activity().get("pid") == os.getpid()


def session_lock(settings) -> CacheLock:
    return CacheLock(lockwatch.session_lock_name(settings), settings.description)


def role_lock(settings, key: str) -> CacheLock:
    description = (
        f"role {settings.role_name} in account {settings.account_id} for "
        f"{settings.description}"
    )
    return CacheLock(lockwatch.role_lock_name(key), description)
