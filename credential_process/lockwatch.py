"""Wait for another process's service call without taking a lock.

In a storm of parallel runs, one process holds the lock and calls the service
while the others would each import argparse, logging, filelock and wait on the
lock. Instead, a process on the cache-hit path that finds a live holder
announcing a refresh or a GetRoleCredentials call polls the role cache with the
standard library alone. When the holder is gone without a usable result, it falls
through to the full command line and the lock. A login is not waited for
here: it takes minutes, and the full command line reports it to the person.
Standard library only.
"""

from __future__ import annotations

import os
import time

from . import cachefiles

# Activities during which a holder makes one service call and then writes the cache.
SERVICE_CALL_ACTIVITIES = ("refresh", "role")
POLL_SECONDS = 0.05
# Past this a waiter stops polling and waits on the lock, which has its own bound.
MAX_POLL_SECONDS = 60.0
# How long a waiter keeps polling after one holder's announcement ends, for the
# holder's next one. Only a failed holder makes waiters spend it in full.
HANDOVER_SECONDS = 2.0


def lock_directory() -> str:
    return os.path.join(cachefiles.state_directory(), "locks")


def session_lock_name(settings) -> str:
    return "token-" + cachefiles.token_cache_key(settings.cache_identity)


def role_lock_name(role_key: str) -> str:
    return "role-" + role_key


def activity_path(lock_name: str) -> str:
    return os.path.join(lock_directory(), lock_name + ".activity")


def _holder_busy(paths) -> bool:
    """Return whether a live process announced a service call that has not timed out."""
    for path in paths:
        try:
            activity = cachefiles.read_json(path)
        except cachefiles.CacheReadError:
            continue
        if not activity or activity.get("activity") not in SERVICE_CALL_ACTIVITIES:
            continue
        pid, deadline = activity.get("pid"), activity.get("deadline")
        if not isinstance(pid, int) or not isinstance(deadline, (int, float)):
            continue
        if deadline < time.time() or not process_alive(pid):
            continue
        return True
    return False


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # It exists but belongs to someone else.
    return True


def wait_for_result(paths, read_result):
    """Poll ``read_result()`` while a holder is busy; return its result or None."""
    if not _holder_busy(paths):
        return None
    started = time.monotonic()
    idle_since = None
    while time.monotonic() - started < MAX_POLL_SECONDS:
        time.sleep(POLL_SECONDS)
        result = read_result()
        if result is not None:
            return result
        if _holder_busy(paths):
            idle_since = None
            continue
        # A holder that finished a refresh releases the session lock before it
        # takes the role lock for GetRoleCredentials, so wait for that announcement.
        now = time.monotonic()
        idle_since = now if idle_since is None else idle_since
        if now - idle_since > HANDOVER_SECONDS:
            return None
    return None
