"""SSO OIDC calls: client registration, device authorization and token refresh.

Each flow reads in the order it happens on the wire. The caller owns the session
lock and the cache; these functions only talk to the service.
"""

from __future__ import annotations

import logging
import time

from botocore.exceptions import ClientError

from . import clients, timeutil
from .errors import LoginRequiredError, NetworkError, ServiceRefusedError

log = logging.getLogger(__name__)

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_TOKEN_GRANT = "refresh_token"

# RFC 8628 section 3.5: without an interval the client waits 5 s between polls, and
# each slow_down response adds 5 s for the rest of the flow.
DEFAULT_POLL_INTERVAL_SECONDS = 5
SLOW_DOWN_INCREMENT_SECONDS = 5
# Used when StartDeviceAuthorization gives no expiresIn; the service issues 600 s.
DEFAULT_DEVICE_CODE_SECONDS = 600


class RefreshRejectedError(Exception):
    """The service rejected the refresh token or the client; a login is needed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class ClientRejectedError(Exception):
    """The client registration was rejected (invalid_client) during a login."""


def register_client(client, settings, now: float) -> dict:
    """Call RegisterClient for the device flow; return the registration record."""
    if settings.session_name:
        client_name = f"botocore-client-{settings.session_name}"
    else:
        client_name = f"botocore-client-{int(now)}"
    arguments = {"clientName": client_name, "clientType": "public"}
    if settings.registration_scopes:
        arguments["scopes"] = list(settings.registration_scopes)
    response = _call(client.register_client, "RegisterClient", settings, **arguments)
    _require(response, {"clientId": str, "clientSecret": str,
                        "clientSecretExpiresAt": int}, "RegisterClient", settings)
    # clientSecretExpiresAt is epoch seconds (the AWS CLI reads it the same way).
    record = {
        "clientId": response["clientId"],
        "clientSecret": response["clientSecret"],
        "expiresAt": timeutil.format_timestamp(response["clientSecretExpiresAt"]),
    }
    if settings.registration_scopes:
        record["scopes"] = list(settings.registration_scopes)
    log.info("Registered SSO OIDC client %s for %s", client_name, settings.description)
    return record


def start_device_authorization(client, settings, registration: dict) -> dict:
    """Call StartDeviceAuthorization; return the checked response."""
    authorization = _call(
        client.start_device_authorization,
        "StartDeviceAuthorization",
        settings,
        clientId=registration["clientId"],
        clientSecret=registration["clientSecret"],
        startUrl=settings.start_url,
    )
    return _checked_authorization(authorization, settings)


def _checked_authorization(authorization: dict, settings) -> dict:
    """Reject a response that cannot be shown to a person; default bad timings."""
    missing = [
        name for name in ("deviceCode", "userCode", "verificationUri")
        if not isinstance(authorization.get(name), str) or not authorization[name]
    ]
    if missing:
        raise NetworkError(
            f"StartDeviceAuthorization for {settings.description} returned an "
            f"invalid response (missing {', '.join(missing)}). Try again later."
        )
    checked = dict(authorization)
    if not _positive_int(checked.get("expiresIn")):
        checked["expiresIn"] = DEFAULT_DEVICE_CODE_SECONDS
    if not _positive_int(checked.get("interval")):
        checked["interval"] = DEFAULT_POLL_INTERVAL_SECONDS
    return checked


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def poll_for_token(client, settings, registration, authorization, clock=time.time,
                   sleep=time.sleep) -> dict:
    """Poll CreateToken until the user approves, denies, or the code expires.

    Raises ClientRejectedError when the service no longer accepts the client, so the
    caller can register a new client and start over once.
    """
    interval = authorization.get("interval") or DEFAULT_POLL_INTERVAL_SECONDS
    lifetime = authorization.get("expiresIn") or DEFAULT_DEVICE_CODE_SECONDS
    deadline = clock() + lifetime
    while True:
        try:
            response = client.create_token(
                grantType=DEVICE_CODE_GRANT,
                clientId=registration["clientId"],
                clientSecret=registration["clientSecret"],
                deviceCode=authorization["deviceCode"],
            )
            return _require(response, TOKEN_FIELDS, "CreateToken", settings)
        except ClientError as error:
            code = clients.error_code(error)
            if code == "AuthorizationPendingException":
                pass
            elif code == "SlowDownException":
                interval += SLOW_DOWN_INCREMENT_SECONDS
                log.info("The service asked to poll slower; interval is now %s s",
                         interval)
            elif code == "ExpiredTokenException":
                raise _expired_device_code(settings) from None
            elif code == "AccessDeniedException":
                raise ServiceRefusedError(
                    f"The login for {settings.description} was denied "
                    f"({clients.error_message(error)}). Run "
                    f"sso-credential-process login {settings.login_target} again "
                    "and approve the request."
                ) from None
            elif code == "InvalidClientException":
                raise ClientRejectedError(clients.error_message(error)) from None
            else:
                raise clients.translate_client_error(
                    error, f"CreateToken for {settings.description}"
                ) from None
        except clients.NETWORK_ERRORS as error:
            raise clients.describe_network_error(
                error, f"CreateToken for {settings.description}"
            ) from None
        if clock() + interval > deadline:
            raise _expired_device_code(settings)
        sleep(interval)


def _expired_device_code(settings) -> LoginRequiredError:
    return LoginRequiredError(
        f"The device code for {settings.description} expired before the login was "
        f"approved. Run sso-credential-process login {settings.login_target} "
        "--use-device-code and approve it within the time shown."
    )


def refresh_access_token(client, settings, record: dict) -> dict:
    """Call CreateToken with the refresh-token grant; return the service response.

    Raises RefreshRejectedError for invalid_grant (the Identity Center session has
    ended) and invalid_client (the registration is no longer accepted). Network
    errors propagate as botocore exceptions so the caller can fall back to a token
    that has not expired yet.
    """
    try:
        response = client.create_token(
            grantType=REFRESH_TOKEN_GRANT,
            clientId=record["clientId"],
            clientSecret=record["clientSecret"],
            refreshToken=record["refreshToken"],
        )
    except ClientError as error:
        code = clients.error_code(error)
        if code in ("InvalidGrantException", "InvalidClientException",
                    "UnauthorizedClientException", "AccessDeniedException"):
            raise RefreshRejectedError(code, clients.error_message(error)) from None
        raise
    return _require(response, TOKEN_FIELDS, "CreateToken", settings)


# Members every CreateToken response must have, with their types.
TOKEN_FIELDS = {"accessToken": str, "expiresIn": int}


def _require(response: dict, fields: dict, operation: str, settings) -> dict:
    """Return ``response`` if it has ``fields`` with their types, else raise.

    A response that parsed but lacks required members is treated like one that
    did not parse, as a service fault worth a later retry.
    """
    wrong = [
        name for name, kind in fields.items()
        if not isinstance(response.get(name), kind)
        or isinstance(response.get(name), bool)
        or response.get(name) in ("", None)
    ]
    if wrong:
        raise NetworkError(
            f"{operation} for {settings.description} returned an invalid response "
            f"(missing or invalid {', '.join(wrong)}). Try again later."
        )
    return response


# botocore's standard retry mode does not count SlowDownException as throttling,
# so RegisterClient and StartDeviceAuthorization retry it here: attempts in all,
# and the base of a random exponential backoff in seconds.
SLOW_DOWN_ATTEMPTS = 3
SLOW_DOWN_BACKOFF_SECONDS = 1.0


def _call(method, operation: str, settings, **arguments):
    import random

    for attempt in range(1, SLOW_DOWN_ATTEMPTS + 1):
        try:
            return _call_once(method, operation, settings, **arguments)
        except ClientError as error:
            slow_down = clients.error_code(error) == "SlowDownException"
            if not slow_down or attempt == SLOW_DOWN_ATTEMPTS:
                raise clients.translate_client_error(
                    error, f"{operation} for {settings.description}"
                ) from None
            delay = random.uniform(0, SLOW_DOWN_BACKOFF_SECONDS * 2 ** (attempt - 1))
            log.info("%s was asked to slow down; retrying in %.1f s", operation, delay)
            time.sleep(delay)


def _call_once(method, operation: str, settings, **arguments):
    try:
        return method(**arguments)
    except ClientError:
        raise
    except clients.NETWORK_ERRORS as error:
        raise clients.describe_network_error(
            error, f"{operation} for {settings.description}"
        ) from None
