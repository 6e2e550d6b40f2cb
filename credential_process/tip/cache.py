"""Cache files of the exchange, in this tool's own state directory.

The AWS CLI does not read these entries, so they live under
``<state directory>/exchange/`` (directories 0700, files 0600, atomic writes):

* ``tokens/<key>.json``: the Identity Center token of one user of one
  application, keyed by application ARN, region, and the assertion's issuer and
  subject (``iss`` and ``sub`` claims).
* ``roles/<key>.json``: role credentials, keyed by the token key plus role ARN,
  role session name and source profile.
* ``sources/<key>.json``: the issuer and subject of the last assertion read from a
  source, so a cached token is found without running an assertion command.

Keys are SHA-1 of compact JSON with sorted keys, as in the AWS CLI's role cache.
"""

from __future__ import annotations

import json
import os

from .. import cachefiles, locking, timeutil

ROLE_PROVIDER_TYPE = "sso-credential-process-exchange"


def _key(document: dict) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return cachefiles.token_cache_key(text)


def _path(kind: str, key: str) -> str:
    directory = os.path.join(cachefiles.state_directory(), "exchange", kind)
    return cachefiles.cache_path(directory, key)


def token_key(settings, identity) -> str:
    issuer, subject = identity
    return _key({
        "applicationArn": settings.application_arn,
        "region": settings.sso_region,
        "issuer": issuer,
        "subject": subject,
    })


def token_path(settings, identity) -> str:
    return _path("tokens", token_key(settings, identity))


def role_key(settings, identity) -> str:
    return _key({
        "token": token_key(settings, identity),
        "roleArn": settings.role_arn,
        "roleSessionName": settings.role_session_name,
        "sourceProfile": settings.source_profile,
    })


def role_path(settings, identity) -> str:
    return _path("roles", role_key(settings, identity))


def source_key(settings) -> str:
    return _key({
        "applicationArn": settings.application_arn,
        "region": settings.sso_region,
        "source": settings.assertion_source,
    })


def source_path(settings) -> str:
    return _path("sources", source_key(settings))


def source_lock(settings) -> locking.CacheLock:
    """Return the lock around reading assertions and calling CreateTokenWithIAM.

    It is per assertion source rather than per token, because the token's key is
    known only after an assertion is read. Two sources that yield the same user
    may each exchange once, and the atomic writes keep the token file whole.
    """
    return locking.CacheLock(
        "exchange-token-" + source_key(settings),
        f"the Identity Center token of {settings.description}",
    )


def role_lock(settings, identity) -> locking.CacheLock:
    return locking.CacheLock(
        "exchange-role-" + role_key(settings, identity),
        f"role {settings.role_arn} for {settings.description}",
    )


def load_identity(settings):
    """Return (issuer, subject) remembered for the assertion source, or None."""
    record = cachefiles.read_cache_file(source_path(settings), "assertion source")
    if not isinstance(record, dict):
        return None
    subject, issuer = record.get("subject"), record.get("issuer")
    if not isinstance(subject, str) or not isinstance(issuer, str):
        return None
    return issuer, subject


def save_identity(settings, identity) -> None:
    issuer, subject = identity
    document = {
        "applicationArn": settings.application_arn,
        "region": settings.sso_region,
        "source": settings.assertion_source,
        "issuer": issuer,
        "subject": subject,
    }
    cachefiles.write_json_atomic(source_path(settings), document)


def load_token(settings, identity):
    record = cachefiles.read_cache_file(
        token_path(settings, identity), "Identity Center token"
    )
    if not isinstance(record, dict) or not isinstance(record.get("accessToken"), str):
        return None
    return record


def save_token(settings, identity, record: dict) -> None:
    cachefiles.write_json_atomic(token_path(settings, identity), record)


def token_seconds_left(record: dict, now: float) -> float:
    # An unparseable expiry counts as expired: fail closed, never "no expiry".
    expires_at = timeutil.parse_timestamp(record.get("expiresAt"))
    return float("-inf") if expires_at is None else expires_at - now


def load_role_credentials(settings, identity):
    """Return cached role credentials with more than the expiry window left."""
    document = cachefiles.read_cache_file(
        role_path(settings, identity), "role credentials"
    )
    if not isinstance(document, dict):
        return None
    if document.get("ProviderType") != ROLE_PROVIDER_TYPE:
        return None
    credentials = document.get("Credentials")
    if not isinstance(credentials, dict):
        return None
    for field in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        if not isinstance(credentials.get(field), str) or not credentials[field]:
            return None
    expires_at = timeutil.parse_timestamp(credentials.get("Expiration"))
    if expires_at is None:
        return None
    if expires_at - timeutil.now() <= timeutil.EXPIRY_WINDOW_SECONDS:
        return None
    return credentials


def save_role_credentials(settings, identity, credentials: dict) -> None:
    document = {"ProviderType": ROLE_PROVIDER_TYPE, "Credentials": credentials}
    cachefiles.write_json_atomic(role_path(settings, identity), document)
