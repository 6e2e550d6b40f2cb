"""The `Emulator` object: emulated AWS services plus helpers for tests."""

import datetime
import logging
import ssl
import threading
from typing import Any, Dict, Iterable, Optional, Set

from .server import OPERATIONS, EmulatorHTTPServer, validate_loopback
from .state import (
    ACCOUNT_ACCESS_SCOPE,
    AUTHORIZE_MODES,
    DEVICE_CODE_GRANT,
    REFRESH_TOKEN_GRANT,
    REFRESH_TOKEN_MODES,
    Account,
    EmulatorState,
    Fault,
)
from .tipstate import TrustedIdentityMixin

logger = logging.getLogger(__name__)

NUMBER_SETTINGS = (
    "access_token_ttl",
    "role_credentials_ttl",
    "registration_ttl",
    "device_code_ttl",
    "device_poll_interval",
    "approve_after_polls",
    "clock_offset",
    "default_page_size",
)
FLAG_SETTINGS = ("auto_approve", "rotate_refresh_tokens", "enforce_poll_interval")
CHOICE_SETTINGS = {
    "issue_refresh_tokens": REFRESH_TOKEN_MODES,
    "authorize_mode": AUTHORIZE_MODES,
}
SETTINGS = NUMBER_SETTINGS + FLAG_SETTINGS + tuple(CHOICE_SETTINGS) + (
    "response_delay",
    "user_name",
)


class Emulator(TrustedIdentityMixin, EmulatorState):
    """Local SSO OIDC, SSO portal and STS endpoints on one loopback HTTP server.

    Trusted identity propagation (CreateTokenWithIAM, AssumeRole with provided
    contexts) comes from `TrustedIdentityMixin`: see `add_iam_user()`,
    `add_application()` and `identity_context_of()`.

    Use `start()` and `stop()`, or the object as a context manager. The server
    binds only IPv4 loopback addresses. With `tls_context` (a server-side
    `ssl.SSLContext` with a certificate loaded) it serves HTTPS instead of HTTP.
    """

    def __init__(
        self,
        user_name: str = "user@example.com",
        host: str = "127.0.0.1",
        port: int = 0,
        accounts: Optional[Iterable[Account]] = None,
        tls_context: Optional[ssl.SSLContext] = None,
    ) -> None:
        super().__init__(user_name)
        validate_loopback(host)
        self.host = host
        self.port = port
        self.tls_context = tls_context
        if accounts is not None:
            self.accounts = {account.account_id: account for account in accounts}
        self.server: Optional[EmulatorHTTPServer] = None
        self.thread: Optional[threading.Thread] = None

    def start(self, port: Optional[int] = None) -> "Emulator":
        """Serve in a daemon thread. Port 0, the default, picks a free port."""
        if self.server is not None:
            raise RuntimeError(f"emulator is already serving at {self.url}")
        port = self.port if port is None else port
        self.server = EmulatorHTTPServer((self.host, port), self, self.tls_context)
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="sso-emulator",
            daemon=True,
        )
        self.thread.start()
        logger.info("emulator serving at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and close the listening socket."""
        server, thread = self.server, self.thread
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join()
        self.server = self.thread = None
        logger.info("emulator stopped")

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("emulator is not running: call start() first")
        return self.server.url

    @property
    def valid_access_keys(self) -> Set[str]:
        """Access key ids issued by GetRoleCredentials, expired ones included."""
        return self.issued_access_key_ids()

    def configure(self, **settings: Any) -> None:
        """Change settings by name, raising ValueError for unknown names or values."""
        for name, value in settings.items():
            validate_setting(name, value)
        for name, value in settings.items():
            setattr(self, name, dict(value) if name == "response_delay" else value)

    def settings(self) -> Dict[str, Any]:
        return {name: getattr(self, name) for name in SETTINGS}

    def inject(
        self,
        operation: str,
        status: Optional[int] = None,
        error_type: Optional[str] = None,
        body: Any = None,
        count: int = 1,
        close_connection: bool = False,
        delay: float = 0.0,
        headers: Optional[Dict[str, str]] = None,
    ) -> None:
        """Queue `count` faults for the next calls of `operation`, first in first out.

        A fault with `status` replaces the response. A dict body is sent as JSON and a
        str body as is. Without a body the service's error body for `error_type` is
        sent. `close_connection` drops the connection without a response, and `delay`
        sleeps before responding (normally, if no status is given).
        """
        if operation not in OPERATIONS:
            raise ValueError(
                f"unknown operation {operation!r}: expected one of {sorted(OPERATIONS)}"
            )
        if status is None and (body is not None or error_type or headers):
            raise ValueError("body, error_type and headers need a status to replace")
        if status is not None and (
            not isinstance(status, int) or isinstance(status, bool)
            or not 100 <= status <= 599
        ):
            raise ValueError(f"invalid status {status!r}: expected an HTTP status code")
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"invalid count {count!r}: expected a positive integer")
        fault = Fault(
            status, error_type, body, dict(headers or {}), close_connection, delay
        )
        with self.lock:
            self.faults[operation].extend(fault for _ in range(count))

    def approve(self, user_code: str) -> None:
        """Approve a device authorization, as if the user clicked Allow."""
        device = self.find_device_authorization(user_code)
        with self.lock:
            device.status = "approved"

    def deny(self, user_code: str) -> None:
        """Deny a device authorization, as if the user clicked Deny."""
        device = self.find_device_authorization(user_code)
        with self.lock:
            device.status = "denied"

    def issue_token(
        self,
        client_id: Optional[str] = None,
        scopes: Iterable[str] = (ACCOUNT_ACCESS_SCOPE,),
        expires_in: Optional[float] = None,
    ) -> Dict[str, Any]:
        """Issue tokens without a login, so that tests can seed a token cache.

        Registers a client with `scopes` when `client_id` is None. `expires_in`
        defaults to `access_token_ttl`. `refreshToken` is None when the
        `issue_refresh_tokens` setting gives the client none.
        """
        scopes = list(scopes)
        if client_id is None:
            client = self.register_client(
                "emulator-issued",
                scopes=scopes,
                grant_types=[DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT],
            )
        else:
            with self.lock:
                client = self.clients.get(client_id)
            if client is None:
                raise ValueError(f"client {client_id!r} is not registered")
        tokens = self.issue_tokens(client, scopes, expires_in=expires_in)
        with self.lock:
            expires_at = self.access_tokens[tokens["accessToken"]].expires_at
        return {
            "accessToken": tokens["accessToken"],
            "refreshToken": tokens.get("refreshToken"),
            "clientId": client.client_id,
            "clientSecret": client.client_secret,
            "expiresAt": utc_datetime(expires_at),
            "registrationExpiresAt": utc_datetime(client.secret_expires_at),
        }

    def revoke_access_token(self, access_token: str) -> None:
        """Revoke an access token, so the portal rejects it before it expires."""
        with self.lock:
            self.known_access_token(access_token).revoked = True

    def expire_access_token(self, access_token: str) -> None:
        with self.lock:
            self.known_access_token(access_token).expires_at = self.now() - 1

    def known_access_token(self, access_token: str) -> Any:
        token = self.access_tokens.get(access_token)
        if token is None:
            raise ValueError("access token was not issued by this emulator")
        return token

    def reset_counters(self) -> None:
        """Clear `calls` and `requests`. Tokens, clients and faults stay."""
        with self.lock:
            self.calls.clear()
            self.requests.clear()

    def clear_faults(self) -> None:
        """Drop every queued fault that no request has consumed yet."""
        with self.lock:
            self.faults.clear()


def utc_datetime(timestamp: float) -> datetime.datetime:
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.timezone.utc)
    return moment.replace(microsecond=0)


def validate_setting(name: str, value: Any) -> None:
    """Raise ValueError unless `value` is valid for the setting `name`."""
    if name in NUMBER_SETTINGS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"setting {name} must be a number, got {value!r}")
    elif name in FLAG_SETTINGS:
        if not isinstance(value, bool):
            raise ValueError(f"setting {name} must be true or false, got {value!r}")
    elif name in CHOICE_SETTINGS:
        if value not in CHOICE_SETTINGS[name]:
            choices = ", ".join(CHOICE_SETTINGS[name])
            raise ValueError(f"setting {name} must be one of {choices}, got {value!r}")
    elif name == "response_delay":
        if not isinstance(value, dict) or not all(
            isinstance(v, (int, float)) for v in value.values()
        ):
            raise ValueError("setting response_delay must map operations to seconds")
    elif name == "user_name":
        if not isinstance(value, str) or not value:
            raise ValueError("setting user_name must be a non-empty string")
    else:
        expected = ", ".join(SETTINGS)
        raise ValueError(f"unknown setting {name!r}: expected one of {expected}")
