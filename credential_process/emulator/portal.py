"""SSO portal operations: role credentials, account and role lists, logout."""

import base64
import binascii
import logging
import secrets
from typing import Any, Dict, List, Tuple

from .errors import portal_error
from .messages import Response, ServiceRequest, json_response
from .state import (
    AccessToken,
    EmulatorState,
    RoleCredentials,
    new_access_key_id,
    new_secret_access_key,
)

logger = logging.getLogger(__name__)

BEARER_TOKEN_HEADER = "x-amz-sso_bearer_token"
# Bounds of maxResults in the botocore sso 2019-06-10 model (MaxResultType).
MAX_RESULTS_RANGE = (1, 100)


def authenticate(state: EmulatorState, request: ServiceRequest) -> AccessToken:
    """Return the valid access token of the request or raise UnauthorizedException."""
    access_token = state.find_access_token(request.headers.get(BEARER_TOKEN_HEADER))
    if access_token is None:
        message = "Session token not found or invalid"
        raise portal_error("UnauthorizedException", message)
    return access_token


def require_parameter(request: ServiceRequest, name: str) -> str:
    value = request.query.get(name)
    if not value:
        message = f"Missing required parameter {name}"
        raise portal_error("InvalidRequestException", message)
    return value


def get_role_credentials(state: EmulatorState, request: ServiceRequest) -> Response:
    authenticate(state, request)
    role_name = require_parameter(request, "role_name")
    account_id = require_parameter(request, "account_id")
    with state.lock:
        account = state.accounts.get(account_id)
        if account is None or role_name not in account.roles:
            raise portal_error("ForbiddenException", "No access")
        credentials = RoleCredentials(
            access_key_id=new_access_key_id(),
            secret_access_key=new_secret_access_key(),
            session_token=secrets.token_urlsafe(192),
            account_id=account_id,
            role_name=role_name,
            expires_at=state.now() + state.role_credentials_ttl,
        )
        state.role_credentials[credentials.access_key_id] = credentials
    logger.info(
        "issued role credentials %s for %s in %s",
        credentials.access_key_id,
        role_name,
        account_id,
    )
    return json_response(
        {
            "roleCredentials": {
                "accessKeyId": credentials.access_key_id,
                "secretAccessKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
                # The portal sends the expiration in epoch milliseconds.
                "expiration": int(credentials.expires_at * 1000),
            }
        }
    )


def encode_next_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def decode_next_token(next_token: str) -> int:
    try:
        text = base64.urlsafe_b64decode(next_token.encode()).decode()
        prefix, offset = text.split(":", 1)
        if prefix != "offset" or int(offset) < 0:
            raise ValueError(text)
        return int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise portal_error("InvalidRequestException", "Invalid next token provided")


def page_bounds(state: EmulatorState, request: ServiceRequest) -> Tuple[int, int]:
    """Return the offset and size of the requested page."""
    next_token = request.query.get("next_token")
    offset = decode_next_token(next_token) if next_token else 0
    max_result = request.query.get("max_result")
    if not max_result:
        return offset, state.default_page_size
    low, high = MAX_RESULTS_RANGE
    if not max_result.isdigit() or not low <= int(max_result) <= high:
        raise portal_error(
            "InvalidRequestException",
            f"Invalid max_result {max_result!r}: expected {low} to {high}",
        )
    return offset, int(max_result)


def paginate(
    state: EmulatorState, request: ServiceRequest, items: List[Dict[str, Any]], key: str
) -> Response:
    offset, size = page_bounds(state, request)
    response: Dict[str, Any] = {key: items[offset : offset + size]}
    if offset + size < len(items):
        response["nextToken"] = encode_next_token(offset + size)
    return json_response(response)


def list_accounts(state: EmulatorState, request: ServiceRequest) -> Response:
    authenticate(state, request)
    with state.lock:
        accounts = [
            {
                "accountId": account.account_id,
                "accountName": account.account_name,
                "emailAddress": account.email_address,
            }
            for account in state.accounts.values()
        ]
    return paginate(state, request, accounts, "accountList")


def list_account_roles(state: EmulatorState, request: ServiceRequest) -> Response:
    authenticate(state, request)
    account_id = require_parameter(request, "account_id")
    with state.lock:
        account = state.accounts.get(account_id)
        if account is None:
            raise portal_error("ForbiddenException", "No access")
        roles = [
            {"roleName": role_name, "accountId": account_id}
            for role_name in account.roles
        ]
    return paginate(state, request, roles, "roleList")


def logout(state: EmulatorState, request: ServiceRequest) -> Response:
    access_token = authenticate(state, request)
    state.end_session(access_token.session_id)
    logger.info("ended login session of client %s", access_token.client_id)
    return Response(200, b"", content_type=None)
