"""The offset between the local clock and the service clock, per SSO session.

Expiry times of tokens and role credentials come from the service's clock. A local
clock a few minutes off would make fresh credentials look expired (a new call on
every run) or stale ones look fresh (SDKs get credentials the service rejects). So
the HTTP ``Date`` header of every service response is compared with the local
clock, the offset is kept in this tool's state directory, and ``timeutil.now()``
applies it.

Standard library only: the cache-hit path loads the offset with one small read,
and finds no file at all while the clocks agree.
"""

from __future__ import annotations

import os

from . import cachefiles, timeutil

# A Date header has whole seconds and is stamped before the answer travels, so a
# smaller difference is measurement noise and is neither recorded nor applied.
MIN_OFFSET_SECONDS = 5
# A larger offset is more likely a wrong Date header than a wrong local clock.
MAX_OFFSET_SECONDS = 24 * 3600

_identity = None


def offset_path(identity: str) -> str:
    key = cachefiles.token_cache_key(identity)
    return os.path.join(cachefiles.state_directory(), "clock", key + ".json")


def use_session(identity: str) -> float:
    """Apply the recorded offset of the session ``identity``; return it in seconds.

    Later service answers update the offset of this session.
    """
    global _identity
    _identity = identity
    try:
        document = cachefiles.read_json(offset_path(identity))
    except cachefiles.CacheReadError:
        document = None
    offset = document.get("offsetSeconds") if isinstance(document, dict) else None
    if not _plausible(offset):
        offset = 0.0
    timeutil.set_service_offset(offset)
    return offset


def _plausible(offset) -> bool:
    if isinstance(offset, bool) or not isinstance(offset, (int, float)):
        return False
    return abs(offset) <= MAX_OFFSET_SECONDS


def observe_date(date_header) -> None:
    """Record the clock offset shown by the ``Date`` header of a service response."""
    if _identity is None or not date_header:
        return
    from email.utils import parsedate_to_datetime

    try:
        service_time = parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return
    offset = round(service_time - timeutil.local_now())
    if not _plausible(offset):
        return
    if abs(offset) < MIN_OFFSET_SECONDS:
        offset = 0
    if abs(offset - timeutil.service_offset()) < MIN_OFFSET_SECONDS:
        return
    timeutil.set_service_offset(offset)
    _save(offset)


def _save(offset: int) -> None:
    import logging

    log = logging.getLogger(__name__)
    path = offset_path(_identity)
    try:
        if offset == 0:
            cachefiles.remove_file(path)
        else:
            cachefiles.write_json_atomic(path, {"offsetSeconds": offset})
    except (OSError, cachefiles.CacheWriteError) as error:
        log.debug("Could not record the clock offset in %s: %s", path, error)
    if offset:
        log.info("The service clock is %+d s from the local clock; expiry times "
                 "are compared with the service clock", offset)


def after_call_handler(http_response=None, **_) -> None:
    """Record the Date header of every response (a botocore ``after-call`` handler)."""
    headers = getattr(http_response, "headers", None)
    if headers is not None:
        observe_date(headers.get("Date"))
