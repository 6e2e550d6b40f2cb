"""In-memory model of the IAM Identity Center directory, clients and tokens."""

import collections
import hashlib
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set

REFRESH_TOKEN_MODES = ("scoped", "always", "never")
AUTHORIZE_MODES = ("approve", "deny", "wrong_state", "ignore")
ACCOUNT_ACCESS_SCOPE = "sso:account:access"

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_TOKEN_GRANT = "refresh_token"
AUTHORIZATION_CODE_GRANT = "authorization_code"
GRANT_TYPES = (DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT, AUTHORIZATION_CODE_GRANT)

# Lifetime of an authorization code from /authorize, in seconds. RFC 6749
# section 4.1.2 recommends at most 10 minutes.
AUTHORIZATION_CODE_TTL = 300

# Consonants only, as RFC 8628 section 6.1 suggests, so that user codes spell no words.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
ACCESS_KEY_ALPHABET = string.ascii_uppercase + string.digits
SECRET_KEY_ALPHABET = string.ascii_letters + string.digits + "+/"


@dataclass
class Account:
    account_id: str
    account_name: str
    email_address: str
    roles: List[str]


@dataclass
class Client:
    """Client registration from RegisterClient."""

    client_id: str
    client_secret: str
    client_name: str
    scopes: List[str]
    redirect_uris: List[str]
    grant_types: List[str]
    issued_at: int
    secret_expires_at: int


@dataclass
class DeviceAuthorization:
    device_code: str
    user_code: str
    client_id: str
    start_url: str
    expires_at: float
    # One of "pending", "approved", "denied" or "consumed".
    status: str = "pending"
    pending_polls: int = 0
    last_poll: Optional[float] = None


@dataclass
class AuthorizationCode:
    code: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    scopes: List[str]
    expires_at: float
    used: bool = False


@dataclass
class AccessToken:
    token: str
    client_id: str
    # Login session that issued the token. Logout ends every token of the session.
    session_id: str
    scopes: List[str]
    expires_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    token: str
    client_id: str
    session_id: str
    scopes: List[str]
    revoked: bool = False


@dataclass
class RoleCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    account_id: str
    role_name: str
    expires_at: float


@dataclass
class Fault:
    """Scripted fault that replaces or delays the next response of one operation."""

    status: Optional[int] = None
    error_type: Optional[str] = None
    body: Any = None
    headers: Dict[str, str] = field(default_factory=dict)
    close_connection: bool = False
    delay: float = 0.0


def default_accounts() -> List[Account]:
    return [
        Account("111122223333", "dev", "dev@example.com", ["ReadOnly", "Admin"]),
        Account("444455556666", "prod", "prod@example.com", ["ReadOnly"]),
    ]


def random_text(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_access_key_id() -> str:
    """Return an access key id in the format of temporary credentials (ASIA...)."""
    return "ASIA" + random_text(ACCESS_KEY_ALPHABET, 16)


def new_secret_access_key() -> str:
    return random_text(SECRET_KEY_ALPHABET, 40)


def new_user_code() -> str:
    return random_text(USER_CODE_ALPHABET, 4) + "-" + random_text(USER_CODE_ALPHABET, 4)


def role_suffix(account_id: str, role_name: str) -> str:
    """Return the stable 16 hex digits that end an AWSReservedSSO role name."""
    return hashlib.sha256(f"{account_id}/{role_name}".encode()).hexdigest()[:16]


def role_id(account_id: str, role_name: str) -> str:
    """Return the stable unique id (AROA...) of a role, as IAM reports it."""
    digest = hashlib.sha256(f"role:{account_id}/{role_name}".encode()).digest()
    size = len(ACCESS_KEY_ALPHABET)
    characters = [ACCESS_KEY_ALPHABET[byte % size] for byte in digest]
    return "AROA" + "".join(characters[:17])


class EmulatorState:
    """Settings, directory and issued secrets shared by all emulated services.

    Every read or write of the stores happens under `lock`, because the HTTP server
    handles each connection in its own thread. Settings are plain attributes that
    tests may change at any time.
    """

    def __init__(self, user_name: str = "user@example.com") -> None:
        self.lock = threading.RLock()
        self.user_name = user_name
        self.access_token_ttl: float = 3600
        self.role_credentials_ttl: float = 3600
        self.registration_ttl: float = 90 * 86400
        self.device_code_ttl: float = 600
        self.device_poll_interval: int = 1
        self.auto_approve = True
        self.approve_after_polls = 1
        self.rotate_refresh_tokens = True
        self.issue_refresh_tokens = "scoped"
        self.enforce_poll_interval = False
        self.authorize_mode = "approve"
        self.clock_offset: float = 0.0
        self.response_delay: Dict[str, float] = {}
        # Page size of ListAccounts and ListAccountRoles when maxResults is absent.
        # It is small so that short account lists still take several pages.
        self.default_page_size = 2

        self.accounts: Dict[str, Account] = {}
        for account in default_accounts():
            self.accounts[account.account_id] = account
        self.clients: Dict[str, Client] = {}
        self.device_authorizations: Dict[str, DeviceAuthorization] = {}
        self.authorization_codes: Dict[str, AuthorizationCode] = {}
        self.access_tokens: Dict[str, AccessToken] = {}
        self.refresh_tokens: Dict[str, RefreshToken] = {}
        self.role_credentials: Dict[str, RoleCredentials] = {}
        self.faults: Dict[str, collections.deque] = collections.defaultdict(
            collections.deque
        )
        self.calls: collections.Counter = collections.Counter()
        self.requests: List[Dict[str, Any]] = []

    def now(self) -> float:
        """Return the emulator clock in epoch seconds, shifted by `clock_offset`."""
        return time.time() + self.clock_offset

    def add_account(
        self,
        account_id: str,
        account_name: str,
        roles: Optional[List[str]] = None,
        email_address: Optional[str] = None,
    ) -> None:
        """Assign an account and its roles to the user, replacing one with that id."""
        account = Account(
            account_id,
            account_name,
            email_address or f"{account_name}@example.com",
            list(roles if roles is not None else ["ReadOnly"]),
        )
        with self.lock:
            self.accounts[account_id] = account

    def remove_account(self, account_id: str) -> None:
        with self.lock:
            del self.accounts[account_id]

    def register_client(
        self,
        client_name: str,
        scopes: Optional[List[str]] = None,
        redirect_uris: Optional[List[str]] = None,
        grant_types: Optional[List[str]] = None,
    ) -> Client:
        issued_at = int(self.now())
        client = Client(
            client_id=secrets.token_urlsafe(16),
            client_secret=secrets.token_urlsafe(48),
            client_name=client_name,
            scopes=list(scopes or []),
            redirect_uris=list(redirect_uris or []),
            grant_types=list(grant_types or []),
            issued_at=issued_at,
            secret_expires_at=issued_at + int(self.registration_ttl),
        )
        with self.lock:
            self.clients[client.client_id] = client
        return client

    def issues_refresh_token_to(self, client: Client) -> bool:
        if self.issue_refresh_tokens == "always":
            return True
        if self.issue_refresh_tokens == "never":
            return False
        return ACCOUNT_ACCESS_SCOPE in client.scopes

    def issue_tokens(
        self,
        client: Client,
        scopes: List[str],
        session_id: Optional[str] = None,
        expires_in: Optional[float] = None,
        refresh: Optional[bool] = None,
    ) -> Dict[str, Any]:
        """Issue an access token and, if `refresh` is true, a refresh token.

        With `refresh` None, the `issue_refresh_tokens` setting decides. Returns the
        CreateToken response members.
        """
        if refresh is None:
            refresh = self.issues_refresh_token_to(client)
        session_id = session_id or secrets.token_hex(8)
        lifetime = self.access_token_ttl if expires_in is None else expires_in
        access_token = AccessToken(
            token="aoa" + secrets.token_urlsafe(48),
            client_id=client.client_id,
            session_id=session_id,
            scopes=list(scopes),
            expires_at=self.now() + lifetime,
        )
        response: Dict[str, Any] = {
            "accessToken": access_token.token,
            "tokenType": "Bearer",
            "expiresIn": int(lifetime),
        }
        with self.lock:
            self.access_tokens[access_token.token] = access_token
            if refresh:
                refresh_token = self.new_refresh_token(client, scopes, session_id)
                response["refreshToken"] = refresh_token.token
        return response

    def new_refresh_token(
        self, client: Client, scopes: List[str], session_id: str
    ) -> RefreshToken:
        refresh_token = RefreshToken(
            token="aor" + secrets.token_urlsafe(48),
            client_id=client.client_id,
            session_id=session_id,
            scopes=list(scopes),
        )
        with self.lock:
            self.refresh_tokens[refresh_token.token] = refresh_token
        return refresh_token

    def find_access_token(self, token: Optional[str]) -> Optional[AccessToken]:
        """Return the access token if it is known, unrevoked and unexpired."""
        with self.lock:
            access_token = self.access_tokens.get(token or "")
            if access_token is None or access_token.revoked:
                return None
            if self.now() >= access_token.expires_at:
                return None
            return access_token

    def end_session(self, session_id: str) -> None:
        """Revoke every access token and refresh token of a login session."""
        with self.lock:
            for access_token in self.access_tokens.values():
                if access_token.session_id == session_id:
                    access_token.revoked = True
            for refresh_token in self.refresh_tokens.values():
                if refresh_token.session_id == session_id:
                    refresh_token.revoked = True

    def find_device_authorization(self, user_code: str) -> DeviceAuthorization:
        """Return the device authorization of a user code or raise ValueError."""
        with self.lock:
            for device in self.device_authorizations.values():
                if device.user_code == user_code:
                    return device
        raise ValueError(f"user code {user_code!r} was not issued by this emulator")

    def record_call(self, operation: str, entry: Dict[str, Any]) -> None:
        with self.lock:
            self.calls[operation] += 1
            self.requests.append(entry)

    def record_grant(self, grant_type: str) -> None:
        with self.lock:
            self.calls[f"CreateToken:{grant_type}"] += 1

    def pop_fault(self, operation: str) -> Optional[Fault]:
        with self.lock:
            queue = self.faults.get(operation)
            if not queue:
                return None
            return queue.popleft()

    def issued_access_key_ids(self) -> Set[str]:
        with self.lock:
            return set(self.role_credentials)
