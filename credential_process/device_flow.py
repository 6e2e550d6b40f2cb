"""The OIDC device authorization login, from registration to the saved token."""

from __future__ import annotations

import logging

from . import cachefiles, oidc, timeutil, tokencache

log = logging.getLogger(__name__)


def device_login(settings, client, prompt, lock=None) -> str:
    """Run the device flow for ``settings``; save and return the access token.

    The caller holds the session lock. If the service rejects the cached client
    registration mid-flow, one new client is registered and the flow restarts once.
    """
    registration = _registration(settings, client, reuse=True)
    try:
        return _device_flow(settings, client, prompt, lock, registration)
    except oidc.ClientRejectedError:
        log.warning(
            "The client registration for %s was rejected; registering a new client",
            settings.description,
        )
        registration = _registration(settings, client, reuse=False)
        return _device_flow(settings, client, prompt, lock, registration)


def _registration(settings, client, reuse: bool) -> dict:
    now = timeutil.now()
    if reuse:
        cached = tokencache.load_registration(settings, now, False)
        if cached is not None:
            return cached
    if not settings.registration_scopes and settings.session_name:
        log.warning(
            "The [sso-session %s] section has no sso_registration_scopes, so the "
            "token from this login cannot be refreshed; add "
            "sso_registration_scopes = sso:account:access to that section.",
            settings.session_name,
        )
    registration = oidc.register_client(client, settings, now)
    try:
        tokencache.save_registration(settings, registration)
    except cachefiles.CacheWriteError as error:
        log.warning("Could not cache the client registration: %s", error)
    return registration


def _device_flow(settings, client, prompt, lock, registration: dict) -> str:
    authorization = oidc.start_device_authorization(client, settings, registration)
    lifetime = authorization.get("expiresIn") or oidc.DEFAULT_DEVICE_CODE_SECONDS
    if lock is not None:
        lock.announce("login", timeutil.now() + lifetime)
    prompt.show_device_authorization(settings, authorization)

    response = oidc.poll_for_token(
        client, settings, registration, authorization, sleep=prompt.sleep
    )
    now = timeutil.now()
    tokencache.save_login_token(settings, response, registration, now)
    prompt.show_success(settings, now + int(response["expiresIn"]))
    return response["accessToken"]
