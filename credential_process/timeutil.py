"""Timestamps in the AWS CLI cache formats, always as timezone-aware UTC.

Times are carried as POSIX seconds (floats) internally. The format the AWS CLI
writes, ``%Y-%m-%dT%H:%M:%SZ``, is parsed here without importing ``datetime`` so the
cache-hit path stays cheap; every other ISO 8601 form the CLI has ever written
(``...UTC``, ``+00:00``, fractional seconds) goes through python-dateutil.
"""

from __future__ import annotations

import time

# botocore refreshes SSO tokens and treats cached role credentials as expired when
# fewer than 15 minutes remain (SSOTokenProvider._REFRESH_WINDOW and
# CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS, both 900 s). One number is
# used for "needs refresh" and "may be handed out" so no gap opens between them.
EXPIRY_WINDOW_SECONDS = 15 * 60

# A client registration is renewed when it expires within this window, which must be
# longer than a device code's lifetime (600 s) so a login never outlives its client.
REGISTRATION_EXPIRY_WINDOW_SECONDS = 15 * 60

# Role credentials with less than this left when the portal issues them are still
# printed, but with a warning: botocore's mandatory refresh window is 10 minutes.
SHORT_LIVED_CREDENTIALS_SECONDS = 10 * 60


def now() -> float:
    """Return the service's current time in POSIX seconds.

    That is the local clock (shifted by the test offset from the environment) plus
    the offset measured from the service's ``Date`` headers (see ``clockskew``), so
    expiry times issued by the service are compared with the service's clock.
    """
    return time.time() + _clock_offset() + _service_offset


def local_now() -> float:
    """Return the local clock in POSIX seconds, without the service offset."""
    return time.time() + _clock_offset()


_OFFSET = None
_service_offset = 0.0


def set_service_offset(seconds: float) -> None:
    """Set how far the service clock is ahead of the local clock, in seconds."""
    global _service_offset
    _service_offset = float(seconds)


def service_offset() -> float:
    return _service_offset


def _clock_offset() -> float:
    """Return ``SSO_CREDENTIAL_PROCESS_CLOCK_OFFSET`` seconds, read once per process.

    The offset lets tests pin the local clock relative to the service clock without
    patching time inside a child process.
    """
    global _OFFSET
    if _OFFSET is None:
        import os

        try:
            _OFFSET = float(os.environ.get("SSO_CREDENTIAL_PROCESS_CLOCK_OFFSET", 0))
        except ValueError:
            _OFFSET = 0.0
    return _OFFSET


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Return days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def parse_cli_timestamp(value):
    """Parse exactly ``YYYY-MM-DDTHH:MM:SSZ``; return None for any other form."""
    if not isinstance(value, str) or len(value) != 20:
        return None
    if value[4] != "-" or value[7] != "-" or value[10] != "T" or value[19] != "Z":
        return None
    if value[13] != ":" or value[16] != ":":
        return None
    digits = value[0:4] + value[5:7] + value[8:10] + value[11:13] + value[14:16]
    digits += value[17:19]
    if not digits.isdigit() or not digits.isascii():
        return None
    year, month, day = int(value[0:4]), int(value[5:7]), int(value[8:10])
    hour, minute, second = int(value[11:13]), int(value[14:16]), int(value[17:19])
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60):
        return None
    if second > 60:
        return None
    days = _days_from_civil(year, month, day)
    return float(days * 86400 + hour * 3600 + minute * 60 + second)


def parse_timestamp(value):
    """Parse any ISO 8601 timestamp to POSIX seconds, or return None if invalid.

    A timestamp without a time zone is invalid: botocore rejects naive values, and
    guessing local time would make credentials look valid in one zone and expired in
    another. Callers treat None as expired, never as "no expiry".
    """
    fast = parse_cli_timestamp(value)
    if fast is not None:
        return fast
    if not isinstance(value, str) or not value.strip():
        return None
    import warnings

    from dateutil import parser as date_parser
    from dateutil import tz

    try:
        parsed = date_parser.isoparse(value.strip())
    except (ValueError, OverflowError):
        # dateutil warns about zone names it does not know ("EST"); the value is
        # then naive and rejected below, with the caller's own message.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = date_parser.parse(value.strip(), tzinfos={"UTC": tz.UTC})
            except (ValueError, OverflowError, TypeError):
                return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return None
    try:
        return parsed.timestamp()
    except (OverflowError, OSError, ValueError):
        return None


def format_timestamp(seconds: float) -> str:
    """Format POSIX seconds as ``YYYY-MM-DDTHH:MM:SSZ`` (fraction truncated)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(seconds)))
