"""SSO OIDC operations: client registration, device authorization and tokens."""

import base64
import hashlib
import hmac
import json
import logging
import secrets
import urllib.parse
from typing import Any, Dict, List, Optional

from .errors import ServiceError, oidc_error
from .messages import Response, ServiceRequest, json_response
from .state import (
    AUTHORIZATION_CODE_GRANT,
    DEVICE_CODE_GRANT,
    GRANT_TYPES,
    REFRESH_TOKEN_GRANT,
    Client,
    DeviceAuthorization,
    EmulatorState,
    new_user_code,
)

logger = logging.getLogger(__name__)

INVALID_REFRESH_TOKEN = "Invalid refresh token provided"


def parse_json_body(request: ServiceRequest) -> Dict[str, Any]:
    """Return the JSON object of the request body or raise InvalidRequestException."""
    if not request.body:
        return {}
    try:
        body = json.loads(request.body)
    except ValueError:
        raise oidc_error("InvalidRequestException", "Request body is not valid JSON")
    if not isinstance(body, dict):
        raise oidc_error("InvalidRequestException", "Request body is not a JSON object")
    return body


def require_string(body: Dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise oidc_error("InvalidRequestException", f"Missing required member: {name}")
    return value


def optional_string(body: Dict[str, Any], name: str) -> Optional[str]:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise oidc_error("InvalidRequestException", f"Member {name} must be a string")
    return value


def optional_string_list(body: Dict[str, Any], name: str) -> List[str]:
    value = body.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise oidc_error(
            "InvalidRequestException", f"Member {name} must be a list of strings"
        )
    return value


def authenticate_client(state: EmulatorState, body: Dict[str, Any]) -> Client:
    """Return the client named by clientId and clientSecret, or raise 401."""
    client_id = require_string(body, "clientId")
    client_secret = require_string(body, "clientSecret")
    with state.lock:
        client = state.clients.get(client_id)
    if client is None:
        raise oidc_error("InvalidClientException", "Invalid client provided")
    if not hmac.compare_digest(client.client_secret, client_secret):
        raise oidc_error("InvalidClientException", "Invalid client provided")
    if state.now() >= client.secret_expires_at:
        raise oidc_error("InvalidClientException", "Client registration has expired")
    return client


def register_client(state: EmulatorState, request: ServiceRequest) -> Response:
    body = parse_json_body(request)
    client_name = require_string(body, "clientName")
    client_type = require_string(body, "clientType")
    if client_type != "public":
        raise oidc_error(
            "InvalidClientMetadataException",
            f"Invalid clientType {client_type!r}: only 'public' is supported",
        )
    grant_types = optional_string_list(body, "grantTypes")
    for grant_type in grant_types:
        if grant_type not in GRANT_TYPES:
            message = f"Unsupported grant type {grant_type!r}"
            raise oidc_error("UnsupportedGrantTypeException", message)
    redirect_uris = optional_string_list(body, "redirectUris")
    for redirect_uri in redirect_uris:
        if urllib.parse.urlsplit(redirect_uri).scheme not in ("http", "https"):
            raise oidc_error(
                "InvalidRedirectUriException", f"Invalid redirect URI {redirect_uri!r}"
            )
    for name in ("issuerUrl", "entitledApplicationArn"):
        optional_string(body, name)

    client = state.register_client(
        client_name,
        scopes=optional_string_list(body, "scopes"),
        redirect_uris=redirect_uris,
        grant_types=grant_types,
    )
    logger.info("registered client %s (%s)", client.client_id, client_name)
    return json_response(
        {
            "clientId": client.client_id,
            "clientSecret": client.client_secret,
            "clientIdIssuedAt": client.issued_at,
            "clientSecretExpiresAt": client.secret_expires_at,
            "authorizationEndpoint": f"{request.base_url}/authorize",
            "tokenEndpoint": f"{request.base_url}/token",
        }
    )


def start_device_authorization(
    state: EmulatorState, request: ServiceRequest
) -> Response:
    body = parse_json_body(request)
    client = authenticate_client(state, body)
    start_url = require_string(body, "startUrl")
    device = DeviceAuthorization(
        device_code=secrets.token_urlsafe(48),
        user_code=new_user_code(),
        client_id=client.client_id,
        start_url=start_url,
        expires_at=state.now() + state.device_code_ttl,
    )
    with state.lock:
        state.device_authorizations[device.device_code] = device
    verification_uri = f"{request.base_url}/device"
    complete_uri = f"{verification_uri}?user_code={device.user_code}"
    return json_response(
        {
            "deviceCode": device.device_code,
            "userCode": device.user_code,
            "verificationUri": verification_uri,
            "verificationUriComplete": complete_uri,
            "expiresIn": int(state.device_code_ttl),
            "interval": int(state.device_poll_interval),
        }
    )


def create_token(state: EmulatorState, request: ServiceRequest) -> Response:
    body = parse_json_body(request)
    grant_type = body.get("grantType")
    if isinstance(grant_type, str):
        state.record_grant(grant_type)
    client = authenticate_client(state, body)
    grant_type = require_string(body, "grantType")
    handler = GRANT_HANDLERS.get(grant_type)
    if handler is None:
        raise oidc_error(
            "UnsupportedGrantTypeException", f"Unsupported grant type {grant_type!r}"
        )
    if client.grant_types and grant_type not in client.grant_types:
        raise oidc_error(
            "UnauthorizedClientException",
            f"Client is not registered for grant type {grant_type!r}",
        )
    return json_response(handler(state, client, body))


def grant_device_code(
    state: EmulatorState, client: Client, body: Dict[str, Any]
) -> Dict[str, Any]:
    device_code = require_string(body, "deviceCode")
    with state.lock:
        device = state.device_authorizations.get(device_code)
        if device is None or device.client_id != client.client_id:
            raise oidc_error("InvalidGrantException", "Invalid device code provided")
        check_device_poll(state, device)
        device.status = "consumed"
    scopes = optional_string_list(body, "scope") or client.scopes
    return state.issue_tokens(client, scopes)


def check_device_poll(state: EmulatorState, device: DeviceAuthorization) -> None:
    """Raise the error that a poll of this device code gets, if any."""
    now = state.now()
    if device.status == "consumed":
        raise oidc_error("InvalidGrantException", "Device code has already been used")
    if now >= device.expires_at:
        raise oidc_error("ExpiredTokenException", "Device code has expired")
    if device.status == "denied":
        raise oidc_error("AccessDeniedException", "The user denied the authorization")
    last_poll, device.last_poll = device.last_poll, now
    too_fast = last_poll is not None and now - last_poll < state.device_poll_interval
    if state.enforce_poll_interval and too_fast:
        raise oidc_error("SlowDownException", "Client is polling too fast")
    if device.status == "approved":
        return
    if state.auto_approve and device.pending_polls >= state.approve_after_polls:
        device.status = "approved"
        return
    device.pending_polls += 1
    raise oidc_error("AuthorizationPendingException", "Authorization is pending")


def grant_refresh_token(
    state: EmulatorState, client: Client, body: Dict[str, Any]
) -> Dict[str, Any]:
    token = require_string(body, "refreshToken")
    with state.lock:
        refresh_token = state.refresh_tokens.get(token)
        if refresh_token is None or refresh_token.revoked:
            raise oidc_error("InvalidGrantException", INVALID_REFRESH_TOKEN)
        if refresh_token.client_id != client.client_id:
            raise oidc_error("InvalidGrantException", INVALID_REFRESH_TOKEN)
        if state.rotate_refresh_tokens:
            refresh_token.revoked = True
    scopes = optional_string_list(body, "scope") or refresh_token.scopes
    rotate = state.rotate_refresh_tokens
    response = state.issue_tokens(
        client, scopes, session_id=refresh_token.session_id, refresh=rotate
    )
    if not rotate:
        response["refreshToken"] = refresh_token.token
    return response


def grant_authorization_code(
    state: EmulatorState, client: Client, body: Dict[str, Any]
) -> Dict[str, Any]:
    code = require_string(body, "code")
    redirect_uri = optional_string(body, "redirectUri")
    code_verifier = optional_string(body, "codeVerifier")
    with state.lock:
        authorization = state.authorization_codes.get(code)
        if authorization is None or authorization.used:
            raise invalid_grant("Invalid authorization code provided")
        # RFC 6749 section 4.1.2: a code is single use even when the exchange fails.
        authorization.used = True
    if state.now() >= authorization.expires_at:
        raise invalid_grant("Authorization code has expired")
    if authorization.client_id != client.client_id:
        raise invalid_grant("Authorization code was issued to another client")
    if redirect_uri != authorization.redirect_uri:
        raise invalid_grant("Redirect URI does not match the authorization request")
    challenge = authorization.code_challenge
    if not code_verifier or not verifies_challenge(code_verifier, challenge):
        raise invalid_grant("Code verifier does not match the code challenge")
    return state.issue_tokens(client, authorization.scopes or client.scopes)


def invalid_grant(description: str) -> ServiceError:
    return oidc_error("InvalidGrantException", description)


def s256_challenge(code_verifier: str) -> str:
    """Return the PKCE S256 code challenge of a verifier (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(code_verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verifies_challenge(code_verifier: str, code_challenge: str) -> bool:
    return hmac.compare_digest(s256_challenge(code_verifier), code_challenge)


GRANT_HANDLERS = {
    DEVICE_CODE_GRANT: grant_device_code,
    REFRESH_TOKEN_GRANT: grant_refresh_token,
    AUTHORIZATION_CODE_GRANT: grant_authorization_code,
}
