"""Role credentials: the CLI v2 cache, then GetRoleCredentials under a lock."""

from __future__ import annotations

import logging

from . import cachefiles, locking, roleindex, rolecache, timeutil
from .errors import NetworkError, ServiceRefusedError

log = logging.getLogger(__name__)


def role_credentials(settings, client_factory, token_resolver) -> dict:
    """Return role credentials with more than the expiry window left.

    The access token is resolved before the role lock is taken, so a login (which
    holds the session lock for minutes) never blocks under the role lock, and the
    role lock is only ever held for one GetRoleCredentials call.
    """
    path = rolecache.role_cache_path(settings)
    cached = _cached(path)
    if cached is not None:
        log.info("Using the cached role credentials in %s, valid until %s", path,
                 cached["Expiration"])
        return cached

    access_token = token_resolver.access_token()
    key = rolecache.role_cache_key(settings)
    with locking.role_lock(settings, key) as lock:
        # Parallel runs on the cache-hit path poll the cache while this is recorded.
        lock.announce("role", timeutil.now() + locking.service_call_wait_seconds())
        cached = _cached(path)
        if cached is not None:
            log.info("Another process fetched the role credentials")
            return cached
        portal = client_factory.create("sso", settings.sso_region)
        try:
            credentials = get_role_credentials(portal, settings, access_token)
        except _Unauthorized:
            # The portal rejected a token whose expiry may be hours away: the
            # session was revoked or ended early. Refresh once, then retry once.
            log.info("The portal rejected the access token; refreshing it")
            access_token = token_resolver.access_token(rejected=access_token)
            try:
                credentials = get_role_credentials(portal, settings, access_token)
            except _Unauthorized:
                raise ServiceRefusedError(
                    f"The SSO portal rejected a freshly issued token for "
                    f"{settings.description}. Run sso-credential-process login "
                    f"{settings.login_target} --use-device-code."
                ) from None
        _save(path, credentials)
        roleindex.record(settings, key)
    return credentials


def _cached(path: str):
    document = cachefiles.read_cache_file(path, "role credentials")
    return rolecache.usable_credentials(document, timeutil.now())


def _save(path: str, credentials: dict) -> None:
    try:
        cachefiles.write_json_atomic(path, rolecache.build_entry(credentials))
    except cachefiles.CacheWriteError as error:
        log.warning("Could not cache the role credentials: %s", error)


class _Unauthorized(Exception):
    pass


def get_role_credentials(portal, settings, access_token: str) -> dict:
    """Call GetRoleCredentials; return the credentials in the CLI cache layout."""
    # Imported here so that processes served from the cache never import botocore.
    from botocore.exceptions import ClientError

    from . import clients

    what = (
        f"GetRoleCredentials for role {settings.role_name} in account "
        f"{settings.account_id} ({settings.description})"
    )
    try:
        response = portal.get_role_credentials(
            roleName=settings.role_name,
            accountId=settings.account_id,
            accessToken=access_token,
        )
    except ClientError as error:
        code = clients.error_code(error)
        if code == "UnauthorizedException":
            raise _Unauthorized() from None
        if code in ("ForbiddenException", "ResourceNotFoundException",
                    "InvalidRequestException", "AccessDeniedException"):
            raise ServiceRefusedError(
                f"{what} was refused: {clients.error_message(error)}. Check that "
                "the account id and role name are right and that your user is "
                "assigned to them (aws sso list-account-roles lists what you can use)."
            ) from None
        raise clients.translate_client_error(error, what) from None
    except clients.NETWORK_ERRORS as error:
        raise clients.describe_network_error(error, what) from None
    except (ValueError, TypeError, OverflowError):
        # botocore's parser raises these for a member of the wrong type, such as
        # a string where the model has a long.
        raise NetworkError(
            f"{what} returned a response that could not be parsed; nothing was "
            "printed or cached. Try again later."
        ) from None
    return _to_cache_layout(response.get("roleCredentials") or {}, settings, what)


# Expirations further out than this are not plausible role sessions (the maximum
# is 12 hours) and would overflow time conversions on some platforms.
MAX_CREDENTIAL_LIFETIME_SECONDS = 366 * 86400


def _to_cache_layout(role: dict, settings, what: str) -> dict:
    missing = [
        name for name in ("accessKeyId", "secretAccessKey", "sessionToken")
        if not isinstance(role.get(name), str) or not role.get(name)
    ]
    expiration = role.get("expiration")
    if not isinstance(expiration, int) or isinstance(expiration, bool):
        missing.append("expiration")
    if missing:
        raise NetworkError(
            f"{what} returned an invalid response (missing or invalid "
            f"{', '.join(missing)}); nothing was printed or cached. Try again later."
        )
    # The portal gives epoch milliseconds; the cache and SDKs use whole seconds.
    expires_at = expiration // 1000
    left = expires_at - timeutil.now()
    if not 0 < left < MAX_CREDENTIAL_LIFETIME_SECONDS:
        raise NetworkError(
            f"{what} returned credentials with an invalid expiration "
            f"({expiration} ms since the epoch); nothing was printed or cached. "
            "Check the system clock, then try again later."
        )
    if left < timeutil.SHORT_LIVED_CREDENTIALS_SECONDS:
        log.warning(
            "The role credentials for %s expire in %d s; SDKs will run this process "
            "again on every call until new ones are issued.",
            settings.role_name, int(left),
        )
    return {
        "AccessKeyId": role["accessKeyId"],
        "SecretAccessKey": role["secretAccessKey"],
        "SessionToken": role["sessionToken"],
        "Expiration": timeutil.format_timestamp(expires_at),
        "AccountId": settings.account_id,
    }
