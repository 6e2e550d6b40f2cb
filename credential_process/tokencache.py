"""SSO token and client-registration records in ``~/.aws/sso/cache``.

Records are written with the AWS CLI's field names and order, so botocore's own SSO
provider and ``aws sso login`` read and refresh what this tool writes, and back.
"""

from __future__ import annotations

import logging

from . import cachefiles, timeutil

log = logging.getLogger(__name__)

# Field order of the token file as the AWS CLI v2 and botocore write it.
TOKEN_FIELDS = (
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "refreshToken",
)
REFRESH_FIELDS = ("refreshToken", "clientId", "clientSecret", "registrationExpiresAt")


class Token:
    """An SSO access token read from the cache, with its whole record."""

    def __init__(self, record: dict, path: str):
        self.record = record
        self.path = path
        self.access_token = record.get("accessToken")
        self.expires_at = timeutil.parse_timestamp(record.get("expiresAt"))

    def seconds_left(self, now: float) -> float:
        # An unparseable expiry counts as expired: fail closed, never "no expiry".
        if self.expires_at is None:
            return float("-inf")
        return self.expires_at - now

    def is_fresh(self, now: float) -> bool:
        """Return whether the token has more than the refresh window left."""
        return self.seconds_left(now) > timeutil.EXPIRY_WINDOW_SECONDS

    def is_unexpired(self, now: float) -> bool:
        return self.seconds_left(now) > 0

    def can_refresh(self, now: float) -> bool:
        """Return whether the record has what the refresh-token grant needs."""
        if not all(isinstance(self.record.get(k), str) for k in REFRESH_FIELDS):
            return False
        registration_expires = timeutil.parse_timestamp(
            self.record["registrationExpiresAt"]
        )
        return registration_expires is not None and registration_expires > now


def token_path(settings) -> str:
    key = cachefiles.token_cache_key(settings.cache_identity)
    return cachefiles.cache_path(cachefiles.sso_cache_directory(), key)


def load_token(settings):
    """Return the cached Token for ``settings``, or None if missing or unusable."""
    path = token_path(settings)
    record = cachefiles.read_cache_file(path, "SSO token")
    if record is None:
        return None
    if not isinstance(record.get("accessToken"), str) or "expiresAt" not in record:
        cachefiles.warn_once(
            (path, "fields"),
            "Ignoring the SSO token cache file %s because it has no accessToken "
            "or expiresAt.",
            path,
        )
        return None
    token = Token(record, path)
    if token.expires_at is None:
        cachefiles.warn_once(
            (path, "expiresAt"),
            "The expiresAt value %.40r in the SSO token cache file %s is not a time "
            "with a time zone (the AWS CLI writes the form 2026-01-01T00:00:00Z), so "
            "the token is treated as expired.",
            record.get("expiresAt"), path,
        )
    return token


def build_token_record(settings, response: dict, registration: dict, now, previous):
    """Return the token record for a CreateToken ``response``.

    Fields come in the AWS CLI's order. Unknown fields of the previous record are
    kept after them. A refresh answer without a refresh token keeps the previous one,
    which botocore would drop, losing the session's ability to refresh.
    """
    previous = previous or {}
    record = {
        "startUrl": settings.start_url,
        "region": settings.sso_region,
        "accessToken": response["accessToken"],
        "expiresAt": timeutil.format_timestamp(now + int(response["expiresIn"])),
        "clientId": registration["clientId"],
        "clientSecret": registration["clientSecret"],
        "registrationExpiresAt": registration["expiresAt"],
    }
    refresh_token = response.get("refreshToken") or previous.get("refreshToken")
    if refresh_token:
        record["refreshToken"] = refresh_token
    for key, value in previous.items():
        if key not in TOKEN_FIELDS:
            record[key] = value
    return record


def save_login_token(settings, response: dict, registration: dict, now: float) -> None:
    """Cache the token returned by a login's CreateToken, or warn if saving fails.

    A new login replaces the session, so no refresh token of an earlier login is kept.
    """
    previous = load_token(settings)
    record = build_token_record(
        settings, response, registration, now,
        previous.record if previous is not None else None,
    )
    if not response.get("refreshToken"):
        record.pop("refreshToken", None)
    try:
        path = save_token(settings, record)
    except cachefiles.CacheWriteError as error:
        cachefiles.warn_once(
            (settings.cache_identity, "login"),
            "Could not cache the SSO token for %s: %s", settings.description, error,
        )
        return
    log.info("Saved the SSO token for %s to %s", settings.description, path)


def registration_of(record: dict) -> dict:
    """Return the client registration stored in a token record, in registration form."""
    return {
        "clientId": record["clientId"],
        "clientSecret": record["clientSecret"],
        "expiresAt": record["registrationExpiresAt"],
    }


def save_token(settings, record: dict) -> str:
    path = token_path(settings)
    cachefiles.write_json_atomic(path, record)
    return path


def registration_path(settings) -> str:
    key = cachefiles.registration_cache_key(
        settings.start_url,
        settings.sso_region,
        settings.registration_scopes,
        settings.session_name,
    )
    return cachefiles.cache_path(cachefiles.sso_cache_directory(), key)


def load_registration(settings, now: float, for_authorization_code: bool):
    """Return a cached client registration that is valid for the flow, or None.

    A registration that expires within the renewal window is not used, and neither
    is one made for the other flow: the AWS CLI re-registers in both cases.
    """
    path = registration_path(settings)
    record = cachefiles.read_cache_file(path, "client registration")
    if record is None:
        return None
    if not all(isinstance(record.get(k), str) for k in ("clientId", "clientSecret")):
        return None
    expires_at = timeutil.parse_timestamp(record.get("expiresAt"))
    if expires_at is None:
        return None
    if expires_at - now < timeutil.REGISTRATION_EXPIRY_WINDOW_SECONDS:
        return None
    grant_types = record.get("grantTypes") or []
    if ("authorization_code" in grant_types) != for_authorization_code:
        return None
    return record


def save_registration(settings, record: dict) -> None:
    cachefiles.write_json_atomic(registration_path(settings), record)
