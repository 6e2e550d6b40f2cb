"""Role credentials in the AWS CLI v2 cache, ``~/.aws/cli/cache``.

Entries have the CLI's layout, ``{"ProviderType": "sso", "Credentials": {...}}``,
so ``aws sso logout`` removes them and the CLI reuses them. Standard library only:
this module serves cache hits.
"""

from __future__ import annotations

from . import cachefiles, timeutil

CREDENTIAL_FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken")


def role_cache_key(settings) -> str:
    """Return the AWS CLI v2 cache key of the settings' account and role."""
    return cachefiles.role_cache_key(
        settings.account_id,
        settings.role_name,
        settings.session_name,
        settings.start_url,
    )


def role_cache_path(settings) -> str:
    return cachefiles.cache_path(cachefiles.role_cache_directory(),
                                 role_cache_key(settings))


def usable_credentials(document, now: float, parse=timeutil.parse_timestamp):
    """Return the cached credentials if they have more than the window left.

    botocore re-runs a credential process on every call once fewer than 15 minutes
    remain, so credentials inside that window are never handed out.
    """
    if not isinstance(document, dict) or document.get("ProviderType") != "sso":
        return None
    credentials = document.get("Credentials")
    if not isinstance(credentials, dict):
        return None
    for field in CREDENTIAL_FIELDS:
        if not isinstance(credentials.get(field), str) or not credentials[field]:
            return None
    expires_at = parse(credentials.get("Expiration"))
    if expires_at is None or expires_at - now <= timeutil.EXPIRY_WINDOW_SECONDS:
        return None
    # Other tools may have written "+00:00" or fractions; SDKs get the "Z" form.
    return dict(credentials, Expiration=timeutil.format_timestamp(expires_at))


def build_entry(credentials: dict) -> dict:
    return {"ProviderType": "sso", "Credentials": credentials}
