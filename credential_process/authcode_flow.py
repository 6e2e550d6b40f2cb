"""The OAuth 2.0 authorization-code login with PKCE, as the AWS CLI v2 runs it.

In protocol order: register a public client for the ``authorization_code`` grant
with the loopback redirect URI, listen on 127.0.0.1 on an ephemeral port, open
``/authorize`` of the OIDC endpoint in the browser, receive the redirect with the
code, check ``state``, and exchange the code and the PKCE verifier for a token
(RFC 6749 section 4.1, RFC 7636, RFC 8252 section 7.3).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import logging
import os
import secrets
import string
import threading
import urllib.parse
import uuid

from botocore.exceptions import ClientError

from . import cachefiles, clients, oidc, timeutil, tokencache
from .errors import LoginRequiredError, ServiceRefusedError

log = logging.getLogger(__name__)

AUTHORIZATION_CODE_GRANT = "authorization_code"
GRANT_TYPES = [AUTHORIZATION_CODE_GRANT, oidc.REFRESH_TOKEN_GRANT]
# Registered without a port: RFC 8252 section 7.3 lets the request pick any port.
REDIRECT_URI = "http://127.0.0.1/oauth/callback"
CALLBACK_PATH = "/oauth/callback"
DEFAULT_SCOPES = ["sso:account:access"]
# The AWS CLI v2 waits 600 s for the browser to come back.
DEFAULT_TIMEOUT_SECONDS = 600
TIMEOUT_VARIABLE = "SSO_CREDENTIAL_PROCESS_LOGIN_TIMEOUT"
# RFC 7636 section 4.1: 43 to 128 characters from the unreserved set.
VERIFIER_ALPHABET = string.ascii_letters + string.digits + "-._~"
VERIFIER_LENGTH = 64

PAGE = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title>"
    "</head><body><h1>{title}</h1><p>{text}</p></body></html>"
)


def authorization_code_login(settings, client, prompt, lock=None) -> str:
    """Run the authorization-code login for ``settings``; save and return the token.

    The caller holds the session lock. A cached registration that the service
    rejects is replaced by one new registration, and the login restarts once.
    """
    registration = _registration(settings, client, reuse=True)
    try:
        return _login(settings, client, prompt, lock, registration)
    except oidc.ClientRejectedError:
        log.warning(
            "The client registration for %s was rejected; registering a new client",
            settings.description,
        )
        registration = _registration(settings, client, reuse=False)
        return _login(settings, client, prompt, lock, registration)


def login_timeout() -> float:
    value = os.environ.get(TIMEOUT_VARIABLE, "")
    try:
        seconds = float(value)
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS
    return seconds if seconds > 0 else DEFAULT_TIMEOUT_SECONDS


def _registration(settings, client, reuse: bool) -> dict:
    now = timeutil.now()
    if reuse:
        cached = tokencache.load_registration(settings, now, True)
        if cached is not None:
            return cached
    registration = register_client(client, settings, now)
    try:
        tokencache.save_registration(settings, registration)
    except cachefiles.CacheWriteError as error:
        log.warning("Could not cache the client registration: %s", error)
    return registration


def scopes(settings) -> list:
    return list(settings.registration_scopes or DEFAULT_SCOPES)


def register_client(client, settings, now: float) -> dict:
    """Call RegisterClient for the authorization-code grant; return the record."""
    if settings.session_name:
        client_name = f"botocore-client-{settings.session_name}"
    else:
        client_name = f"botocore-client-{int(now)}"
    response = oidc._call(
        client.register_client, "RegisterClient", settings,
        clientName=client_name,
        clientType="public",
        scopes=scopes(settings),
        grantTypes=list(GRANT_TYPES),
        redirectUris=[REDIRECT_URI],
        issuerUrl=settings.start_url,
    )
    log.info("Registered SSO OIDC client %s for the authorization-code login of %s",
             client_name, settings.description)
    # The AWS CLI v2 writes these five fields; grantTypes marks the flow.
    return {
        "clientId": response["clientId"],
        "clientSecret": response["clientSecret"],
        "expiresAt": timeutil.format_timestamp(response["clientSecretExpiresAt"]),
        "scopes": scopes(settings),
        "grantTypes": list(GRANT_TYPES),
    }


def new_code_verifier() -> str:
    return "".join(secrets.choice(VERIFIER_ALPHABET) for _ in range(VERIFIER_LENGTH))


def code_challenge(verifier: str) -> str:
    """Return the S256 challenge: base64url of SHA-256, padding removed."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def authorization_base_url(client) -> str:
    """Return scheme://netloc of the client's endpoint, so overrides apply."""
    parts = urllib.parse.urlsplit(client.meta.endpoint_url)
    return f"{parts.scheme}://{parts.netloc}"


def authorization_url(base: str, settings, registration: dict, redirect_uri: str,
                      state: str, challenge: str) -> str:
    """Build the /authorize address in the AWS CLI's parameter order.

    The scopes go in ``scopes`` (plural, space-separated), which is what the
    service reads, rather than the OAuth ``scope``.
    """
    parameters = [
        ("response_type", "code"),
        ("client_id", registration["clientId"]),
        ("redirect_uri", redirect_uri),
        ("state", state),
        ("code_challenge_method", "S256"),
        ("scopes", " ".join(scopes(settings))),
    ]
    query = urllib.parse.urlencode(parameters, quote_via=urllib.parse.quote, safe="")
    return f"{base}/authorize?{query}&code_challenge={challenge}"


def _login(settings, client, prompt, lock, registration: dict) -> str:
    verifier = new_code_verifier()
    state = str(uuid.uuid4())
    timeout = login_timeout()
    with CallbackServer() as callback:
        redirect_uri = callback.redirect_uri
        url = authorization_url(
            authorization_base_url(client), settings, registration, redirect_uri,
            state, code_challenge(verifier),
        )
        if lock is not None:
            lock.announce("login", timeutil.now() + timeout)
        prompt.show_authorization_url(settings, url, timeout)
        result = callback.wait(timeout, prompt)
    prompt.end_countdown()
    code = _check_callback(settings, result, state, timeout)

    now = timeutil.now()
    response = create_token(client, settings, registration, code, redirect_uri,
                            verifier)
    tokencache.save_login_token(settings, response, registration, now)
    prompt.show_success(settings, now + int(response["expiresIn"]))
    return response["accessToken"]


def _check_callback(settings, result, state: str, timeout: float) -> str:
    retry = (f"Run sso-credential-process login {settings.login_target} again, or "
             "add --use-device-code to sign in with a code instead.")
    if result is None:
        raise LoginRequiredError(
            f"The browser login for {settings.description} timed out after "
            f"{timeout:.0f} s without a response. {retry}"
        )
    if result.get("error"):
        error = result["error"]
        description = result.get("error_description") or ""
        detail = f"{error}: {description}" if description else error
        if error == "access_denied":
            raise ServiceRefusedError(
                f"The login for {settings.description} was denied ({detail}). "
                f"{retry}"
            )
        raise ServiceRefusedError(
            f"The authorization request for {settings.description} failed "
            f"({detail}). {retry}"
        )
    # RFC 6749 section 10.12: a redirect with another state may be forged.
    if not secrets.compare_digest(result.get("state") or "", state):
        raise LoginRequiredError(
            f"The browser login for {settings.description} returned a state that "
            f"does not match the request, so the code was not used. {retry}"
        )
    code = result.get("code")
    if not code:
        raise ServiceRefusedError(
            f"The browser login for {settings.description} returned no "
            f"authorization code. {retry}"
        )
    return code


def create_token(client, settings, registration, code, redirect_uri, verifier):
    """Exchange the code and verifier with CreateToken (authorization_code grant)."""
    what = f"CreateToken for {settings.description}"
    try:
        return client.create_token(
            grantType=AUTHORIZATION_CODE_GRANT,
            clientId=registration["clientId"],
            clientSecret=registration["clientSecret"],
            redirectUri=redirect_uri,
            codeVerifier=verifier,
            code=code,
        )
    except ClientError as error:
        error_code = clients.error_code(error)
        if error_code == "InvalidClientException":
            raise oidc.ClientRejectedError(clients.error_message(error)) from None
        if error_code == "ExpiredTokenException":
            raise LoginRequiredError(
                f"The authorization code for {settings.description} expired before "
                f"it was exchanged. Run sso-credential-process login "
                f"{settings.login_target} again."
            ) from None
        raise clients.translate_client_error(error, what) from None
    except clients.NETWORK_ERRORS as error:
        raise clients.describe_network_error(error, what) from None


class CallbackServer:
    """The loopback HTTP listener that receives the authorization redirect.

    It binds 127.0.0.1 only, so nothing off this machine can deliver a code, and
    serves in a thread so that a browser opener that waits for its page does not
    block the response.
    """

    def __init__(self):
        self.done = threading.Event()
        self.result = None
        self._server = None
        self._thread = None

    def __enter__(self):
        handler = _handler_class(self)
        try:
            self._server = http.server.HTTPServer(("127.0.0.1", 0), handler)
        except OSError as error:
            raise LoginRequiredError(
                "Unable to listen on 127.0.0.1 for the browser login's callback "
                f"({error.strerror or error}). Use --use-device-code instead."
            ) from None
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
            name="oauth-callback", daemon=True,
        )
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def redirect_uri(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}{CALLBACK_PATH}"

    def wait(self, timeout: float, prompt):
        """Return the callback's query parameters, or None after ``timeout`` s."""
        deadline = timeutil.now() + timeout
        while not self.done.is_set():
            left = deadline - timeutil.now()
            if left <= 0:
                return None
            prompt.show_countdown()
            self.done.wait(min(1.0, left))
        return self.result

    def deliver(self, parameters: dict) -> bool:
        """Record the first callback; return False for any later one."""
        if self.done.is_set():
            return False
        self.result = parameters
        self.done.set()
        return True


def _handler_class(server: CallbackServer):
    class CallbackHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urllib.parse.urlsplit(self.path)
            if parts.path != CALLBACK_PATH:
                self._page(404, "Not found", "This address is not the login callback.")
                return
            query = dict(urllib.parse.parse_qsl(parts.query))
            if not server.deliver(query):
                self._page(400, "Already handled", "The login already has an answer.")
            elif query.get("code"):
                self._page(200, "Signed in",
                           "sso-credential-process received the sign-in. You can "
                           "close this window.")
            else:
                self._page(200, "Sign-in failed",
                           "The sign-in was not completed; see the terminal.")

        def _page(self, status: int, title: str, text: str) -> None:
            body = PAGE.format(title=title, text=text).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *arguments):
            # The request line holds the authorization code: never log it.
            pass

    return CallbackHandler
