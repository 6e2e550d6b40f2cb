"""Browser-facing pages: the OAuth authorization endpoint and the device page.

A real person would sign in and click Allow on these pages. The emulator decides
at once, so a BROWSER script that only fetches the URL completes a login.
"""

import html
import logging
import secrets
import urllib.parse
from typing import Dict

from .messages import Response, ServiceRequest, html_response
from .state import AUTHORIZATION_CODE_GRANT, AUTHORIZATION_CODE_TTL, AuthorizationCode
from .state import Client, EmulatorState

logger = logging.getLogger(__name__)


def strip_port(uri: str) -> str:
    """Return `uri` without its port, as loopback redirect URIs are registered."""
    parts = urllib.parse.urlsplit(uri)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return urllib.parse.urlunsplit(parts._replace(netloc=host))


def redirect_uri_matches(client: Client, redirect_uri: str) -> bool:
    """Check a redirect URI against the registered ones.

    RFC 8252 section 7.3 lets a native app pick any loopback port at request time,
    so a registered URI without a port matches the given URI with any port.
    """
    return redirect_uri in client.redirect_uris or (
        strip_port(redirect_uri) in client.redirect_uris
    )


def redirect(redirect_uri: str, parameters: Dict[str, str]) -> Response:
    separator = "&" if urllib.parse.urlsplit(redirect_uri).query else "?"
    location = redirect_uri + separator + urllib.parse.urlencode(parameters)
    return Response(302, b"", content_type=None, headers={"Location": location})


def error_page(message: str, status: int = 400) -> Response:
    return html_response("Request failed", html.escape(message), status)


def authorize(state: EmulatorState, request: ServiceRequest) -> Response:
    """Handle GET /authorize, the authorization code request of RFC 6749 with PKCE.

    As RFC 6749 section 4.1.2.1 requires, an unknown client or redirect URI gets an
    error page, and every later error is a redirect with an `error` parameter.
    """
    query = request.query
    client_id = query.get("client_id", "")
    redirect_uri = query.get("redirect_uri", "")
    with state.lock:
        client = state.clients.get(client_id)
    if client is None:
        return error_page(f"Unknown client_id {client_id!r}")
    if not redirect_uri or not redirect_uri_matches(client, redirect_uri):
        return error_page(f"Redirect URI {redirect_uri!r} is not registered")

    state_parameter = query.get("state", "")
    error = authorization_request_error(client, query)
    if error:
        return redirect(redirect_uri, {"error": error, "state": state_parameter})

    mode = state.authorize_mode
    if mode == "ignore":
        return html_response("Sign in", "Waiting for you to sign in.")
    if mode == "deny":
        parameters = {"error": "access_denied", "state": state_parameter}
        return redirect(redirect_uri, parameters)

    code = AuthorizationCode(
        code=secrets.token_urlsafe(32),
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        code_challenge=query["code_challenge"],
        scopes=query.get("scopes", "").split(),
        expires_at=state.now() + AUTHORIZATION_CODE_TTL,
    )
    with state.lock:
        state.authorization_codes[code.code] = code
    if mode == "wrong_state":
        state_parameter = "not-" + state_parameter
    return redirect(redirect_uri, {"code": code.code, "state": state_parameter})


def authorization_request_error(client: Client, query: Dict[str, str]) -> str:
    """Return the OAuth error code for an invalid request, or "" if it is valid."""
    if query.get("response_type") != "code":
        return "unsupported_response_type"
    if AUTHORIZATION_CODE_GRANT not in client.grant_types:
        return "unauthorized_client"
    if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
        return "invalid_request"
    return ""


def verify_device(state: EmulatorState, request: ServiceRequest) -> Response:
    """Handle GET /device, approving the device authorization of `user_code`."""
    user_code = request.query.get("user_code")
    if not user_code:
        text = "Enter the code shown on your device."
        return html_response("Authorize request", text)
    try:
        device = state.find_device_authorization(user_code)
    except ValueError:
        return error_page(f"Unknown user code {user_code!r}", status=404)
    with state.lock:
        if state.now() >= device.expires_at:
            return error_page("The code has expired. Start the sign-in again.")
        if device.status == "pending":
            device.status = "approved"
    logger.info("device authorization for client %s approved", device.client_id)
    return html_response(
        "Request approved", f"You can close this window. Code {html.escape(user_code)}."
    )
