"""CreateTokenWithIAM and STS AssumeRole with provided contexts.

CreateTokenWithIAM (`POST /token?aws_iam=t`) is the SigV4-signed SSO OIDC
operation (signing name `sso-oauth`) that trades a trusted token issuer's JWT
for an Identity Center token. Its ID token carries `sts:identity_context`, which
AssumeRole accepts in `ProvidedContexts` to issue an identity-enhanced session.
"""

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
from typing import Any, Dict, List, Optional, Union

from . import sts
from .errors import ServiceError, oidc_error, sts_error
from .messages import Response, ServiceRequest, json_response
from .oidc import optional_string_list, parse_json_body, require_string
from .sigv4 import SignedRequest, SigV4Error, parse_authorization, verify_sigv4
from .state import REFRESH_TOKEN_GRANT, EmulatorState, new_access_key_id
from .state import new_secret_access_key
from .tipstate import (
    IDENTITY_CENTER_CONTEXT_PROVIDER,
    IDENTITY_STORE_ID,
    INSTANCE_ID,
    JWT_BEARER_GRANT,
    Application,
    ApplicationToken,
    AssumedRoleCredentials,
    IdentityContext,
    identity_center_user_id,
    new_opaque_token,
)

logger = logging.getLogger(__name__)

ROLE_ARN_PATTERN = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?"
                              r"([\w+=,.@-]{1,64})")
ROLE_SESSION_NAME_PATTERN = re.compile(r"[\w+=,.@-]{2,64}")
MIN_DURATION_SECONDS = 900
MAX_DURATION_SECONDS = 43200
DEFAULT_DURATION_SECONDS = 3600
# Key of the emulator's own ID tokens; clients never verify them.
ID_TOKEN_KEY = secrets.token_bytes(32)


# JWTs


def base64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def base64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_jwt(
    claims: Dict[str, Any], secret: Optional[Union[str, bytes]] = None
) -> str:
    """Return a JWT of `claims`: HS256-signed with `secret`, else unsigned ("none")."""
    header = {"alg": "HS256" if secret is not None else "none", "typ": "JWT"}
    signing_input = (
        base64url_encode(json.dumps(header).encode())
        + "."
        + base64url_encode(json.dumps(claims).encode())
    )
    if secret is None:
        return signing_input + "."
    key = secret.encode() if isinstance(secret, str) else secret
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64url_encode(signature)


def test_assertion(
    issuer: str,
    subject: str,
    audience: Optional[str] = None,
    expires_in: float = 3600,
    secret: Optional[str] = None,
) -> str:
    """Return an assertion JWT as a trusted token issuer would sign it."""
    now = int(time.time())
    claims: Dict[str, Any] = {"iss": issuer, "sub": subject, "iat": now,
                              "exp": int(now + expires_in)}
    if audience is not None:
        claims["aud"] = audience
    return encode_jwt(claims, secret)


test_assertion.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def decode_jwt(token: str) -> Dict[str, Any]:
    """Split a compact JWT into its header, claims and parts, or raise ValueError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("assertion is not a JWT of three dot-separated parts")
    try:
        header = json.loads(base64url_decode(parts[0]))
        claims = json.loads(base64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError):
        raise ValueError("assertion header or payload is not base64url JSON")
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("assertion header or payload is not a JSON object")
    return {"header": header, "claims": claims, "parts": parts}


# SigV4 authentication of IAM principals


def signed_request_of(request: ServiceRequest) -> SignedRequest:
    return SignedRequest(
        method=request.method,
        path=request.path,
        raw_query=request.raw_query,
        headers=request.header_items,
        body=request.body,
    )


def find_principal(state: EmulatorState, access_key_id: str, session_token: str):
    """Return the IAM user or role credentials of an access key, or None."""
    with state.lock:
        user = state.trusted_identity.iam_users.get(access_key_id)  # type: ignore
        if user is not None:
            return user if not session_token else None
        credentials = state.role_credentials.get(access_key_id)
    if credentials is None or not hmac.compare_digest(
        credentials.session_token, session_token
    ):
        return None
    return credentials


def authenticate_oidc(state: EmulatorState, request: ServiceRequest):
    """Return the principal that signed a CreateTokenWithIAM request, or raise."""
    if "authorization" not in request.headers:
        raise auth_error("MissingAuthenticationTokenException",
                         "Missing Authentication Token")
    signed_request = signed_request_of(request)
    try:
        authorization = parse_authorization(signed_request)
    except SigV4Error as error:
        raise auth_error("IncompleteSignatureException", str(error), status=400)
    session_token = request.headers.get("x-amz-security-token", "")
    principal = find_principal(state, authorization.access_key_id, session_token)
    if principal is None:
        raise auth_error("UnrecognizedClientException", sts.INVALID_TOKEN)
    if authorization.service != "sso-oauth":
        raise auth_error(
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'sso-oauth'.",
        )
    try:
        valid = verify_sigv4(signed_request, principal.secret_access_key)
    except SigV4Error as error:
        raise auth_error("IncompleteSignatureException", str(error), status=400)
    if not valid:
        raise auth_error("InvalidSignatureException", sts.SIGNATURE_MISMATCH)
    expires_at = getattr(principal, "expires_at", None)
    if expires_at is not None and state.now() >= expires_at:
        raise auth_error("ExpiredTokenException",
                         "The security token included in the request is expired")
    return principal, authorization.region


def auth_error(error_type: str, message: str, status: int = 403) -> ServiceError:
    """Build the gateway error of a rest-json service for a failed SigV4 check."""
    body = json.dumps({"message": message}).encode()
    return ServiceError(status, error_type, body)


def authenticate_sts(state: EmulatorState, request: ServiceRequest):
    """Return the IAM user or role credentials that signed an STS request."""
    request_id = request.request_id
    if "authorization" not in request.headers:
        raise sts_error(403, "MissingAuthenticationToken",
                        "Request is missing Authentication Token", request_id)
    signed_request = signed_request_of(request)
    try:
        authorization = parse_authorization(signed_request)
    except SigV4Error as error:
        raise sts_error(400, "IncompleteSignature", str(error), request_id)
    session_token = request.headers.get("x-amz-security-token", "")
    principal = find_principal(state, authorization.access_key_id, session_token)
    if principal is None:
        raise sts_error(403, "InvalidClientTokenId", sts.INVALID_TOKEN, request_id)
    if authorization.service != "sts":
        raise sts.signature_mismatch(
            "Credential should be scoped to correct service: 'sts'.", request_id
        )
    sts.verify_signature(signed_request, principal, request_id)
    expires_at = getattr(principal, "expires_at", None)
    if expires_at is not None and state.now() >= expires_at:
        raise sts_error(403, "ExpiredToken",
                        "The security token included in the request is expired",
                        request_id)
    return principal


# CreateTokenWithIAM


def create_token_with_iam(state: EmulatorState, request: ServiceRequest) -> Response:
    principal, signing_region = authenticate_oidc(state, request)
    body = parse_json_body(request)
    grant_type = require_string(body, "grantType")
    with state.lock:
        state.calls[f"CreateTokenWithIAM:{grant_type}"] += 1
    application = find_application(state, require_string(body, "clientId"))
    if application.region != signing_region:
        raise wrong_region(application)
    allowed = application.allowed_access_keys
    if allowed is not None and principal.access_key_id not in allowed:
        raise oidc_error(
            "AccessDeniedException",
            f"Principal {principal.access_key_id} is not authorized to call "
            f"CreateTokenWithIAM for {application.arn}",
        )
    if grant_type == JWT_BEARER_GRANT:
        token = grant_jwt_bearer(state, application, body)
    elif grant_type == REFRESH_TOKEN_GRANT:
        token = grant_refresh(state, application, body)
    else:
        raise oidc_error("UnsupportedGrantTypeException",
                         f"Unsupported grant type {grant_type!r}")
    return json_response(issue_application_tokens(state, application, token, body))


def find_application(state: EmulatorState, arn: str) -> Application:
    with state.lock:
        application = state.trusted_identity.applications.get(arn)  # type: ignore
    if application is None:
        raise oidc_error("InvalidClientException", f"Invalid client {arn}")
    return application


def wrong_region(application: Application) -> ServiceError:
    error = oidc_error("InvalidRequestRegionException", "Invalid request region")
    body = json.loads(error.body)
    body["region"] = application.region
    body["endpoint"] = f"https://oidc.{application.region}.amazonaws.com"
    error.status = 400
    error.body = json.dumps(body).encode()
    return error


def grant_jwt_bearer(
    state: EmulatorState, application: Application, body: Dict[str, Any]
) -> ApplicationToken:
    """Check the assertion against the application's trusted token issuer."""
    try:
        decoded = decode_jwt(require_string(body, "assertion"))
    except ValueError as error:
        raise invalid_grant(str(error))
    claims = decoded["claims"]
    if claims.get("iss") != application.trusted_issuer:
        raise invalid_grant("Assertion issuer is not a trusted token issuer")
    check_signature(decoded, application)
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if application.audience is not None and application.audience not in audiences:
        raise invalid_grant("Assertion audience does not match the application")
    expires_at = claims.get("exp")
    if not isinstance(expires_at, (int, float)) or state.now() >= expires_at:
        raise invalid_grant("Assertion has expired")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise invalid_grant("Assertion has no subject")
    issuer = application.trusted_issuer
    return ApplicationToken("", application.arn,
                            identity_center_user_id(issuer, subject), issuer,
                            subject, None)


def check_signature(decoded: Dict[str, Any], application: Application) -> None:
    algorithm = decoded["header"].get("alg")
    header, payload, signature = decoded["parts"]
    if application.issuer_secret is None:
        if algorithm != "none" or signature:
            raise invalid_grant("Assertion signature cannot be verified")
        return
    if algorithm != "HS256":
        raise invalid_grant("Assertion is not signed with the issuer's key")
    key = application.issuer_secret.encode()
    expected = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(base64url_encode(expected), signature):
        raise invalid_grant("Assertion signature is invalid")


def grant_refresh(
    state: EmulatorState, application: Application, body: Dict[str, Any]
) -> ApplicationToken:
    value = require_string(body, "refreshToken")
    with state.lock:
        store = state.trusted_identity  # type: ignore[attr-defined]
        token = store.refresh_tokens.get(value)
        if token is None or token.revoked or token.application_arn != application.arn:
            raise invalid_grant("Invalid refresh token provided")
        if state.rotate_refresh_tokens:
            token.revoked = True
    return token


def invalid_grant(description: str) -> ServiceError:
    return oidc_error("InvalidGrantException", description)


def issue_application_tokens(
    state: EmulatorState,
    application: Application,
    grant: ApplicationToken,
    body: Dict[str, Any],
) -> Dict[str, Any]:
    """Issue an access token, a refresh token and an ID token for `grant`'s user."""
    now = state.now()
    lifetime = state.access_token_ttl
    access = ApplicationToken(new_opaque_token("aoa"), application.arn,
                              grant.user_id, grant.issuer, grant.subject,
                              now + lifetime)
    context = IdentityContext(grant.user_id, application.arn, grant.issuer,
                              grant.subject, now + lifetime)
    context_assertion = new_opaque_token("ctx")
    response: Dict[str, Any] = {
        "accessToken": access.token,
        "tokenType": "Bearer",
        "expiresIn": int(lifetime),
        "idToken": id_token(application, grant.user_id, context_assertion, now,
                            lifetime),
        "issuedTokenType": "urn:ietf:params:oauth:token-type:refresh_token",
        "scope": optional_string_list(body, "scope") or ["openid", "aws"],
        "awsAdditionalDetails": {"identityContext": context_assertion},
    }
    with state.lock:
        store = state.trusted_identity  # type: ignore[attr-defined]
        store.access_tokens[access.token] = access
        store.identity_contexts[context_assertion] = context
        if grant.token and not state.rotate_refresh_tokens:
            response["refreshToken"] = grant.token
        else:
            refresh = ApplicationToken(new_opaque_token("aor"), application.arn,
                                       grant.user_id, grant.issuer, grant.subject,
                                       None)
            store.refresh_tokens[refresh.token] = refresh
            response["refreshToken"] = refresh.token
    return response


def id_token(application: Application, user_id: str, context: str, now: float,
             lifetime: float) -> str:
    """Return the ID token: a JWT naming the Identity Center user and context."""
    account = application.arn.split(":")[4] or "111122223333"
    claims = {
        "iss": f"https://identitycenter.amazonaws.com/{INSTANCE_ID}",
        "sub": user_id,
        "aud": application.arn,
        "iat": int(now),
        "exp": int(now + lifetime),
        "sts:identity_context": context,
        "aws:identity_store_id": IDENTITY_STORE_ID,
        "aws:identity_store_arn": (
            f"arn:aws:identitystore::{account}:identitystore/{IDENTITY_STORE_ID}"
        ),
        "aws:instance_account": account,
    }
    return encode_jwt(claims, ID_TOKEN_KEY)


# AssumeRole


def assume_role(state: EmulatorState, request: ServiceRequest) -> Response:
    parameters = sts.parse_parameters(request)
    request_id = request.request_id
    principal = authenticate_sts(state, request)
    role_arn = parameters.get("RoleArn", "")
    match = ROLE_ARN_PATTERN.fullmatch(role_arn)
    if match is None:
        raise invalid_parameter(f"Invalid RoleArn {role_arn!r}", request_id)
    session_name = parameters.get("RoleSessionName", "")
    if not ROLE_SESSION_NAME_PATTERN.fullmatch(session_name):
        raise invalid_parameter(
            f"Invalid RoleSessionName {session_name!r}: 2 to 64 characters of "
            "[\\w+=,.@-]", request_id)
    duration = duration_seconds(parameters, request_id)
    context = provided_identity_context(state, parameters, request_id)
    account_id, role_name = match.group(1), match.group(2)
    credentials = AssumedRoleCredentials(
        access_key_id=new_access_key_id(),
        secret_access_key=new_secret_access_key(),
        session_token="IQoJ" + secrets.token_urlsafe(96),
        account_id=account_id,
        role_name=role_name,
        expires_at=state.now() + duration,
        role_arn=role_arn,
        session_name=session_name,
        identity_context=context,
    )
    with state.lock:
        state.role_credentials[credentials.access_key_id] = credentials
    caller = getattr(principal, "user_name", None) or principal.access_key_id
    logger.info("AssumeRole %s by %s (identity context: %s)", role_arn, caller,
                context.user_id if context else None)
    return Response(200, assume_role_document(credentials, request_id),
                    content_type="text/xml")


def duration_seconds(parameters: Dict[str, str], request_id: str) -> int:
    text = parameters.get("DurationSeconds", str(DEFAULT_DURATION_SECONDS))
    if not text.isdigit() or not (
        MIN_DURATION_SECONDS <= int(text) <= MAX_DURATION_SECONDS
    ):
        raise sts_error(
            400, "ValidationError",
            f"1 validation error detected: Value '{text}' at 'durationSeconds' "
            f"failed to satisfy constraint: Member must have value between "
            f"{MIN_DURATION_SECONDS} and {MAX_DURATION_SECONDS}", request_id)
    return int(text)


def provided_identity_context(
    state: EmulatorState, parameters: Dict[str, str], request_id: str
) -> Optional[IdentityContext]:
    """Return the identity context of ProvidedContexts.member.N, if one is given."""
    contexts = provided_contexts(parameters)
    if not contexts:
        return None
    if len(contexts) > 1:
        raise invalid_parameter("Only one provided context is supported", request_id)
    provider, assertion = contexts[0]
    if provider != IDENTITY_CENTER_CONTEXT_PROVIDER:
        raise invalid_parameter(f"Invalid ProviderArn {provider!r}", request_id)
    with state.lock:
        context = state.trusted_identity.identity_contexts.get(assertion)  # type: ignore
    if context is None:
        raise invalid_parameter("Invalid ContextAssertion", request_id)
    if state.now() >= context.expires_at:
        raise sts_error(400, "ExpiredTokenException",
                        "The provided context assertion has expired", request_id)
    return context


def provided_contexts(parameters: Dict[str, str]) -> List[tuple]:
    indexes = sorted(
        {int(m.group(1)) for name in parameters
         if (m := re.fullmatch(r"ProvidedContexts\.member\.(\d+)\.\w+", name))}
    )
    return [
        (parameters.get(f"ProvidedContexts.member.{i}.ProviderArn", ""),
         parameters.get(f"ProvidedContexts.member.{i}.ContextAssertion", ""))
        for i in indexes
    ]


def invalid_parameter(message: str, request_id: str) -> ServiceError:
    return sts_error(400, "InvalidParameterValue", message, request_id)


def assume_role_document(
    credentials: AssumedRoleCredentials, request_id: str
) -> bytes:
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                               time.gmtime(credentials.expires_at))
    document = (
        f'<AssumeRoleResponse xmlns="{sts.STS_NAMESPACE}">'
        "<AssumeRoleResult>"
        "<AssumedRoleUser>"
        f"<AssumedRoleId>{credentials.user_id}</AssumedRoleId>"
        f"<Arn>{credentials.arn}</Arn>"
        "</AssumedRoleUser>"
        "<Credentials>"
        f"<AccessKeyId>{credentials.access_key_id}</AccessKeyId>"
        f"<SecretAccessKey>{credentials.secret_access_key}</SecretAccessKey>"
        f"<SessionToken>{credentials.session_token}</SessionToken>"
        f"<Expiration>{expiration}</Expiration>"
        "</Credentials>"
        "</AssumeRoleResult>"
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        "</AssumeRoleResponse>"
    )
    return document.encode()
