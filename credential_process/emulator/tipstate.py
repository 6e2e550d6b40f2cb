"""State for trusted identity propagation: IAM users, applications, identity contexts.

An application holding IAM credentials calls CreateTokenWithIAM with a token from a
trusted token issuer and gets an Identity Center token whose ID token carries an
`sts:identity_context` claim. STS AssumeRole with that context as a provided
context issues an identity-enhanced role session. The emulator keeps each piece
here, next to the stores of `EmulatorState`, and `TrustedIdentityMixin` adds the
methods that tests call on the `Emulator`.
"""

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .state import ACCESS_KEY_ALPHABET, RoleCredentials, new_secret_access_key
from .state import random_text

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
IDENTITY_CENTER_CONTEXT_PROVIDER = "arn:aws:iam::aws:contextProvider/IdentityCenter"
IDENTITY_STORE_ID = "d-9067000000"
INSTANCE_ID = "ssoins-7223000000000000"


@dataclass
class IamUser:
    """Long-term IAM user access keys that may sign requests."""

    access_key_id: str
    secret_access_key: str
    account_id: str
    user_name: str


@dataclass
class Application:
    """A customer managed application that trusts one token issuer."""

    arn: str
    trusted_issuer: str
    # Expected `aud` claim of assertions; None accepts any audience.
    audience: Optional[str]
    # HS256 key of the issuer; None means assertions are unsigned (alg "none").
    issuer_secret: Optional[str]
    region: str
    # Access key ids allowed to call CreateTokenWithIAM; None allows every key.
    allowed_access_keys: Optional[List[str]]


@dataclass
class IdentityContext:
    """What an `sts:identity_context` assertion stands for, kept by the emulator."""

    user_id: str
    application_arn: str
    issuer: str
    subject: str
    expires_at: float


@dataclass
class ApplicationToken:
    """An access or refresh token issued by CreateTokenWithIAM."""

    token: str
    application_arn: str
    user_id: str
    issuer: str
    subject: str
    expires_at: Optional[float]
    revoked: bool = False


@dataclass
class AssumedRoleCredentials(RoleCredentials):
    """Temporary credentials from AssumeRole, possibly identity-enhanced."""

    role_arn: str = ""
    session_name: str = ""
    identity_context: Optional[IdentityContext] = None

    @property
    def arn(self) -> str:
        return (
            f"arn:aws:sts::{self.account_id}:assumed-role/"
            f"{self.role_name}/{self.session_name}"
        )

    @property
    def user_id(self) -> str:
        return f"{assumed_role_id(self.role_arn)}:{self.session_name}"


@dataclass
class TrustedIdentityStore:
    iam_users: Dict[str, IamUser] = field(default_factory=dict)
    applications: Dict[str, Application] = field(default_factory=dict)
    identity_contexts: Dict[str, IdentityContext] = field(default_factory=dict)
    access_tokens: Dict[str, ApplicationToken] = field(default_factory=dict)
    refresh_tokens: Dict[str, ApplicationToken] = field(default_factory=dict)


def new_long_term_access_key_id() -> str:
    """Return an access key id in the format of IAM user keys (AKIA...)."""
    return "AKIA" + random_text(ACCESS_KEY_ALPHABET, 16)


def assumed_role_id(role_arn: str) -> str:
    """Return the stable unique id (AROA...) of the role named by `role_arn`."""
    digest = hashlib.sha256(f"role:{role_arn}".encode()).digest()
    size = len(ACCESS_KEY_ALPHABET)
    return "AROA" + "".join(ACCESS_KEY_ALPHABET[b % size] for b in digest[:17])


def identity_center_user_id(issuer: str, subject: str) -> str:
    """Return the Identity Center user id that a trusted issuer's subject maps to.

    Real Identity Center maps a claim of the token to a user attribute. Here each
    (issuer, subject) pair is one user, with a stable UUID-shaped id.
    """
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()
    return str(uuid.UUID(digest[:32]))


class TrustedIdentityMixin:
    """Emulator methods for trusted identity propagation; mixed into `Emulator`."""

    @property
    def trusted_identity(self) -> TrustedIdentityStore:
        with self.lock:  # type: ignore[attr-defined]
            store = self.__dict__.get("_trusted_identity")
            if store is None:
                store = self.__dict__["_trusted_identity"] = TrustedIdentityStore()
            return store

    def add_iam_user(
        self,
        access_key_id: Optional[str] = None,
        secret_access_key: Optional[str] = None,
        account_id: str = "111122223333",
        user_name: str = "application",
    ) -> Tuple[str, str]:
        """Register long-term access keys; return (access key id, secret key)."""
        user = IamUser(
            access_key_id or new_long_term_access_key_id(),
            secret_access_key or new_secret_access_key(),
            account_id,
            user_name,
        )
        with self.lock:  # type: ignore[attr-defined]
            self.trusted_identity.iam_users[user.access_key_id] = user
        return user.access_key_id, user.secret_access_key

    def add_application(
        self,
        arn: str,
        trusted_issuer: str,
        audience: Optional[str] = None,
        issuer_secret: Optional[str] = None,
        region: str = "us-east-1",
        allowed_access_keys: Optional[List[str]] = None,
    ) -> Application:
        """Register an application that accepts assertions from `trusted_issuer`."""
        application = Application(
            arn,
            trusted_issuer,
            audience,
            issuer_secret,
            region,
            None if allowed_access_keys is None else list(allowed_access_keys),
        )
        with self.lock:  # type: ignore[attr-defined]
            self.trusted_identity.applications[arn] = application
        return application

    def identity_context_of(self, access_key_id: str) -> Optional[IdentityContext]:
        """Return the identity context of an AssumeRole session, None if it has none."""
        with self.lock:  # type: ignore[attr-defined]
            credentials = self.role_credentials.get(access_key_id)  # type: ignore
        if not isinstance(credentials, AssumedRoleCredentials):
            return None
        return credentials.identity_context

    def expire_application_token(self, access_token: str) -> None:
        """Make an access token from CreateTokenWithIAM expire now."""
        with self.lock:  # type: ignore[attr-defined]
            token = self.trusted_identity.access_tokens.get(access_token)
            if token is None:
                raise ValueError("access token was not issued by CreateTokenWithIAM")
            token.expires_at = self.now() - 1  # type: ignore[attr-defined]


def new_opaque_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(48)
