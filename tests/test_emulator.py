"""Tests of the AWS emulator through real botocore clients."""

import base64
import datetime
import email.utils
import functools
import hashlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import botocore
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.session
import pytest

from credential_process.emulator import Emulator, SignedRequest, verify_sigv4

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
REDIRECT_URI = "http://127.0.0.1:54321/oauth/callback"
NO_RETRIES = {"total_max_attempts": 1}


@pytest.fixture(autouse=True)
def isolated_aws_environment(monkeypatch, tmp_path):
    """Keep botocore away from real credentials, config files and metadata."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emu():
    with Emulator(user_name="user@example.com") as emulator:
        yield emulator


@functools.lru_cache(maxsize=None)
def botocore_session():
    """Return one shared botocore session, so service models load only once."""
    return botocore.session.get_session()


def unsigned_client(emulator, service, **config):
    config = botocore.config.Config(
        signature_version=botocore.UNSIGNED, retries=NO_RETRIES, **config
    )
    return botocore_session().create_client(
        service, region_name="us-east-1", endpoint_url=emulator.url, config=config
    )


def oidc_client(emulator, **config):
    return unsigned_client(emulator, "sso-oidc", **config)


def portal_client(emulator, **config):
    return unsigned_client(emulator, "sso", **config)


def sts_client(emulator, access_key, secret_key, session_token):
    return botocore_session().create_client(
        "sts",
        region_name="us-east-1",
        endpoint_url=emulator.url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        config=botocore.config.Config(retries=NO_RETRIES),
    )


def error_code(error):
    return error.value.response["Error"]["Code"]


def status_code(error):
    return error.value.response["ResponseMetadata"]["HTTPStatusCode"]


def register(oidc, scopes=("sso:account:access",), **members):
    members.setdefault("clientName", "test-client")
    members.setdefault("clientType", "public")
    if scopes:
        members["scopes"] = list(scopes)
    return oidc.register_client(**members)


def start_device(oidc, client):
    return oidc.start_device_authorization(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        startUrl="https://example.awsapps.com/start",
    )


def poll_device(oidc, client, device):
    return oidc.create_token(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        grantType=DEVICE_CODE_GRANT,
        deviceCode=device["deviceCode"],
    )


def device_login(emulator, scopes=("sso:account:access",)):
    """Run a whole device login and return the client and the CreateToken response."""
    oidc = oidc_client(emulator)
    client = register(oidc, scopes=scopes)
    device = start_device(oidc, client)
    emulator.approve(device["userCode"])
    return client, poll_device(oidc, client, device)


def refresh(oidc, client, refresh_token):
    return oidc.create_token(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        grantType="refresh_token",
        refreshToken=refresh_token,
    )


def role_credentials(
    emulator, access_token, account_id="111122223333", role="ReadOnly"
):
    response = portal_client(emulator).get_role_credentials(
        roleName=role, accountId=account_id, accessToken=access_token
    )
    return response["roleCredentials"]


def http_get(url):
    """GET a URL without following redirects and return status, headers and body."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def control(emulator, name, payload=None):
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(f"{emulator.url}/_emulator/{name}", data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def s256(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def pkce_client(oidc):
    return register(
        oidc,
        grantTypes=["authorization_code", "refresh_token"],
        redirectUris=["http://127.0.0.1/oauth/callback"],
        issuerUrl="https://example.awsapps.com/start",
    )


def authorize(emulator, client, verifier, state="state-123"):
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client["clientId"],
            "redirect_uri": REDIRECT_URI,
            "state": state,
            "code_challenge_method": "S256",
            "scopes": "sso:account:access",
            "code_challenge": s256(verifier),
        }
    )
    return http_get(f"{emulator.url}/authorize?{query}")


def redirect_parameters(headers):
    location = headers["Location"]
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


# Client registration and device authorization


def test_register_client_returns_registration(emu):
    client = register(oidc_client(emu))
    assert client["clientId"]
    assert client["clientSecret"]
    expected = int(time.time()) + 90 * 86400
    assert abs(client["clientSecretExpiresAt"] - expected) <= 2


def test_register_client_rejects_confidential_type(emu):
    with pytest.raises(botocore.exceptions.ClientError) as error:
        register(oidc_client(emu), clientType="confidential")
    assert error_code(error) == "InvalidClientMetadataException"


def test_register_client_missing_name(emu):
    oidc = oidc_client(emu, parameter_validation=False)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        oidc.register_client(clientType="public")
    assert error_code(error) == "InvalidRequestException"


def test_device_authorization_returns_codes(emu):
    oidc = oidc_client(emu)
    device = start_device(oidc, register(oidc))
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", device["userCode"])
    assert device["verificationUri"] == f"{emu.url}/device"
    expected_complete = f"{emu.url}/device?user_code={device['userCode']}"
    assert device["verificationUriComplete"] == expected_complete
    assert device["expiresIn"] == 600
    assert device["interval"] == 1


def test_device_flow_pending_then_token(emu):
    emu.auto_approve = False
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as error:
        poll_device(oidc, client, device)
    assert error.value.response["error"] == "authorization_pending"
    emu.approve(device["userCode"])
    token = poll_device(oidc, client, device)
    assert token["accessToken"]
    assert token["tokenType"] == "Bearer"
    assert token["expiresIn"] == 3600
    assert token["refreshToken"]


def test_device_flow_auto_approves_after_polls(emu):
    emu.approve_after_polls = 2
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    for _ in range(2):
        with pytest.raises(oidc.exceptions.AuthorizationPendingException):
            poll_device(oidc, client, device)
    assert poll_device(oidc, client, device)["accessToken"]


def test_device_code_single_use(emu):
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    emu.approve(device["userCode"])
    poll_device(oidc, client, device)
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        poll_device(oidc, client, device)


def test_device_verification_page_approves(emu):
    emu.auto_approve = False
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    status, _, page = http_get(device["verificationUriComplete"])
    assert status == 200
    assert "approved" in page
    assert poll_device(oidc, client, device)["accessToken"]
    assert emu.calls["DeviceVerification"] == 1


def test_device_verification_unknown_code(emu):
    status, _, _ = http_get(f"{emu.url}/device?user_code=XXXX-XXXX")
    assert status == 404


def test_device_flow_denied(emu):
    emu.auto_approve = False
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    emu.deny(device["userCode"])
    with pytest.raises(oidc.exceptions.AccessDeniedException):
        poll_device(oidc, client, device)


def test_device_code_expired(emu):
    emu.device_code_ttl = 5
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    emu.clock_offset = 10
    with pytest.raises(oidc.exceptions.ExpiredTokenException):
        poll_device(oidc, client, device)


def test_device_poll_slow_down_when_enforced(emu):
    emu.auto_approve = False
    emu.enforce_poll_interval = True
    emu.device_poll_interval = 5
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    with pytest.raises(oidc.exceptions.AuthorizationPendingException):
        poll_device(oidc, client, device)
    with pytest.raises(oidc.exceptions.SlowDownException):
        poll_device(oidc, client, device)


def test_device_poll_fast_allowed_by_default(emu):
    emu.auto_approve = False
    emu.device_poll_interval = 5
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    for _ in range(2):
        with pytest.raises(oidc.exceptions.AuthorizationPendingException):
            poll_device(oidc, client, device)


def test_create_token_wrong_secret(emu):
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    client = dict(client, clientSecret="wrong")
    with pytest.raises(oidc.exceptions.InvalidClientException) as error:
        poll_device(oidc, client, device)
    assert status_code(error) == 401
    assert error.value.response["error"] == "invalid_client"


def test_device_authorization_unknown_client(emu):
    oidc = oidc_client(emu)
    client = {"clientId": "unknown", "clientSecret": "unknown"}
    with pytest.raises(oidc.exceptions.InvalidClientException) as error:
        start_device(oidc, client)
    assert status_code(error) == 401


def test_registration_expired(emu):
    emu.registration_ttl = 60
    oidc = oidc_client(emu)
    client = register(oidc)
    emu.clock_offset = 120
    with pytest.raises(oidc.exceptions.InvalidClientException):
        start_device(oidc, client)


def test_create_token_unsupported_grant(emu):
    oidc = oidc_client(emu)
    client = register(oidc)
    with pytest.raises(oidc.exceptions.UnsupportedGrantTypeException):
        oidc.create_token(
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            grantType="password",
        )


def test_create_token_counts_grant(emu):
    device_login(emu)
    assert emu.calls["CreateToken"] == 1
    assert emu.calls[f"CreateToken:{DEVICE_CODE_GRANT}"] == 1


# Refresh tokens


def test_refresh_rotates_token(emu):
    client, token = device_login(emu)
    oidc = oidc_client(emu)
    refreshed = refresh(oidc, client, token["refreshToken"])
    assert refreshed["accessToken"] != token["accessToken"]
    assert refreshed["refreshToken"] != token["refreshToken"]
    assert emu.calls["CreateToken:refresh_token"] == 1


def test_refresh_old_token_rejected(emu):
    client, token = device_login(emu)
    oidc = oidc_client(emu)
    refresh(oidc, client, token["refreshToken"])
    with pytest.raises(oidc.exceptions.InvalidGrantException) as error:
        refresh(oidc, client, token["refreshToken"])
    description = error.value.response["error_description"]
    assert description == "Invalid refresh token provided"


def test_refresh_without_rotation(emu):
    emu.rotate_refresh_tokens = False
    client, token = device_login(emu)
    oidc = oidc_client(emu)
    first = refresh(oidc, client, token["refreshToken"])
    second = refresh(oidc, client, token["refreshToken"])
    assert first["refreshToken"] == token["refreshToken"]
    assert second["refreshToken"] == token["refreshToken"]


def test_refresh_token_of_other_client(emu):
    _, token = device_login(emu)
    oidc = oidc_client(emu)
    other_client = register(oidc)
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh(oidc, other_client, token["refreshToken"])


def test_unscoped_client_gets_no_refresh_token(emu):
    _, token = device_login(emu, scopes=())
    assert token["accessToken"]
    assert "refreshToken" not in token


def test_refresh_tokens_always(emu):
    emu.issue_refresh_tokens = "always"
    _, token = device_login(emu, scopes=())
    assert token["refreshToken"]


def test_refresh_tokens_never(emu):
    emu.issue_refresh_tokens = "never"
    _, token = device_login(emu)
    assert "refreshToken" not in token


def test_access_token_ttl_setting(emu):
    emu.access_token_ttl = 120
    _, token = device_login(emu)
    assert token["expiresIn"] == 120


# Authorization code with PKCE


def test_authorize_approve_and_exchange(emu):
    oidc = oidc_client(emu)
    client = pkce_client(oidc)
    verifier = secrets.token_urlsafe(48)
    status, headers, _ = authorize(emu, client, verifier)
    parameters = redirect_parameters(headers)
    assert status == 302
    assert headers["Location"].startswith(REDIRECT_URI + "?")
    assert parameters["state"] == "state-123"
    token = oidc.create_token(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        grantType="authorization_code",
        code=parameters["code"],
        redirectUri=REDIRECT_URI,
        codeVerifier=verifier,
    )
    assert token["accessToken"]
    assert token["refreshToken"]
    assert emu.calls["CreateToken:authorization_code"] == 1


def exchange_code(oidc, client, code, verifier, redirect_uri=REDIRECT_URI):
    return oidc.create_token(
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        grantType="authorization_code",
        code=code,
        redirectUri=redirect_uri,
        codeVerifier=verifier,
    )


def test_authorize_wrong_verifier(emu):
    oidc = oidc_client(emu)
    client = pkce_client(oidc)
    _, headers, _ = authorize(emu, client, secrets.token_urlsafe(48))
    code = redirect_parameters(headers)["code"]
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        exchange_code(oidc, client, code, secrets.token_urlsafe(48))


def test_authorize_code_single_use(emu):
    oidc = oidc_client(emu)
    client = pkce_client(oidc)
    verifier = secrets.token_urlsafe(48)
    _, headers, _ = authorize(emu, client, verifier)
    code = redirect_parameters(headers)["code"]
    exchange_code(oidc, client, code, verifier)
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        exchange_code(oidc, client, code, verifier)


def test_authorize_code_wrong_redirect_uri(emu):
    oidc = oidc_client(emu)
    client = pkce_client(oidc)
    verifier = secrets.token_urlsafe(48)
    _, headers, _ = authorize(emu, client, verifier)
    code = redirect_parameters(headers)["code"]
    other_uri = "http://127.0.0.1:1111/oauth/callback"
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        exchange_code(oidc, client, code, verifier, redirect_uri=other_uri)


def test_authorize_deny(emu):
    emu.authorize_mode = "deny"
    client = pkce_client(oidc_client(emu))
    status, headers, _ = authorize(emu, client, secrets.token_urlsafe(48))
    parameters = redirect_parameters(headers)
    assert status == 302
    assert parameters["error"] == "access_denied"
    assert parameters["state"] == "state-123"
    assert "code" not in parameters


def test_authorize_wrong_state(emu):
    emu.authorize_mode = "wrong_state"
    client = pkce_client(oidc_client(emu))
    _, headers, _ = authorize(emu, client, secrets.token_urlsafe(48))
    parameters = redirect_parameters(headers)
    assert parameters["state"] != "state-123"
    assert parameters["code"]


def test_authorize_ignore(emu):
    emu.authorize_mode = "ignore"
    client = pkce_client(oidc_client(emu))
    status, headers, _ = authorize(emu, client, secrets.token_urlsafe(48))
    assert status == 200
    assert "Location" not in headers


def test_authorize_unregistered_redirect_uri(emu):
    oidc = oidc_client(emu)
    client = register(
        oidc,
        grantTypes=["authorization_code"],
        redirectUris=["http://127.0.0.1/other"],
    )
    status, headers, _ = authorize(emu, client, secrets.token_urlsafe(48))
    assert status == 400
    assert "Location" not in headers


def test_authorize_requires_grant_type(emu):
    oidc = oidc_client(emu)
    client = register(oidc, redirectUris=["http://127.0.0.1/oauth/callback"])
    _, headers, _ = authorize(emu, client, secrets.token_urlsafe(48))
    assert redirect_parameters(headers)["error"] == "unauthorized_client"


# SSO portal


def test_role_credentials_success(emu):
    _, token = device_login(emu)
    before = datetime.datetime.now(datetime.timezone.utc)
    credentials = role_credentials(emu, token["accessToken"])
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", credentials["accessKeyId"])
    assert len(credentials["secretAccessKey"]) == 40
    assert credentials["sessionToken"]
    assert credentials["accessKeyId"] in emu.valid_access_keys
    expiration_ms = credentials["expiration"]
    expected_ms = (before.timestamp() + 3600) * 1000
    assert abs(expiration_ms - expected_ms) < 5000


def test_role_credentials_ttl_setting(emu):
    emu.role_credentials_ttl = 900
    _, token = device_login(emu)
    credentials = role_credentials(emu, token["accessToken"])
    remaining = credentials["expiration"] / 1000 - time.time()
    assert 890 < remaining <= 900


def test_role_credentials_sends_bearer_header(emu):
    _, token = device_login(emu)
    role_credentials(emu, token["accessToken"])
    request = emu.requests[-1]
    assert request["operation"] == "GetRoleCredentials"
    assert request["headers"]["x-amz-sso_bearer_token"] == token["accessToken"]
    assert request["query"] == {"role_name": "ReadOnly", "account_id": "111122223333"}


def test_role_credentials_unknown_token(emu):
    with pytest.raises(botocore.exceptions.ClientError) as error:
        role_credentials(emu, "unknown-token")
    assert error_code(error) == "UnauthorizedException"
    assert status_code(error) == 401
    message = error.value.response["Error"]["Message"]
    assert message == "Session token not found or invalid"


def test_role_credentials_unassigned_role(emu):
    _, token = device_login(emu)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        role_credentials(emu, token["accessToken"], "444455556666", "Admin")
    assert error_code(error) == "ForbiddenException"
    assert status_code(error) == 403


def test_role_credentials_unassigned_account(emu):
    _, token = device_login(emu)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        role_credentials(emu, token["accessToken"], "999999999999", "ReadOnly")
    assert error_code(error) == "ForbiddenException"


def test_role_credentials_expired_token(emu):
    _, token = device_login(emu)
    emu.expire_access_token(token["accessToken"])
    with pytest.raises(botocore.exceptions.ClientError) as error:
        role_credentials(emu, token["accessToken"])
    assert error_code(error) == "UnauthorizedException"


def test_role_credentials_token_expires_with_clock(emu):
    _, token = device_login(emu)
    emu.clock_offset = 3601
    with pytest.raises(botocore.exceptions.ClientError) as error:
        role_credentials(emu, token["accessToken"])
    assert error_code(error) == "UnauthorizedException"


def test_role_credentials_revoked_token(emu):
    _, token = device_login(emu)
    emu.revoke_access_token(token["accessToken"])
    with pytest.raises(botocore.exceptions.ClientError) as error:
        role_credentials(emu, token["accessToken"])
    assert error_code(error) == "UnauthorizedException"


def test_list_accounts_paginates(emu):
    emu.add_account("777788889999", "staging", roles=["ReadOnly"])
    token = emu.issue_token()
    paginator = portal_client(emu).get_paginator("list_accounts")
    pages = list(paginator.paginate(accessToken=token["accessToken"]))
    account_ids = [a["accountId"] for page in pages for a in page["accountList"]]
    assert account_ids == ["111122223333", "444455556666", "777788889999"]
    assert len(pages) == 2
    assert emu.calls["ListAccounts"] == 2


def test_list_accounts_max_results(emu):
    token = emu.issue_token()
    paginator = portal_client(emu).get_paginator("list_accounts")
    pages = paginator.paginate(
        accessToken=token["accessToken"], PaginationConfig={"PageSize": 1}
    )
    assert [len(page["accountList"]) for page in pages] == [1, 1]


def test_list_accounts_fields(emu):
    token = emu.issue_token()
    response = portal_client(emu).list_accounts(accessToken=token["accessToken"])
    first = response["accountList"][0]
    assert first == {
        "accountId": "111122223333",
        "accountName": "dev",
        "emailAddress": "dev@example.com",
    }


def test_list_accounts_invalid_next_token(emu):
    token = emu.issue_token()
    portal = portal_client(emu)
    with pytest.raises(portal.exceptions.InvalidRequestException):
        portal.list_accounts(accessToken=token["accessToken"], nextToken="garbage!")


def test_list_account_roles_paginates(emu):
    emu.add_account("111122223333", "dev", roles=["ReadOnly", "Admin", "Billing"])
    token = emu.issue_token()
    paginator = portal_client(emu).get_paginator("list_account_roles")
    pages = paginator.paginate(
        accessToken=token["accessToken"], accountId="111122223333"
    )
    roles = [role["roleName"] for page in pages for role in page["roleList"]]
    assert roles == ["ReadOnly", "Admin", "Billing"]


def test_logout_invalidates_access_token(emu):
    _, token = device_login(emu)
    portal_client(emu).logout(accessToken=token["accessToken"])
    with pytest.raises(botocore.exceptions.ClientError) as error:
        role_credentials(emu, token["accessToken"])
    assert error_code(error) == "UnauthorizedException"


def test_logout_invalidates_refresh_token(emu):
    client, token = device_login(emu)
    portal_client(emu).logout(accessToken=token["accessToken"])
    oidc = oidc_client(emu)
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        refresh(oidc, client, token["refreshToken"])


def test_issue_token_seeds_valid_token(emu):
    token = emu.issue_token(expires_in=600)
    remaining = token["expiresAt"].timestamp() - time.time()
    assert token["expiresAt"].tzinfo == datetime.timezone.utc
    assert 590 < remaining <= 600
    assert role_credentials(emu, token["accessToken"])["accessKeyId"]
    client = {"clientId": token["clientId"], "clientSecret": token["clientSecret"]}
    assert refresh(oidc_client(emu), client, token["refreshToken"])["accessToken"]


# STS


def test_caller_identity_with_role_credentials(emu):
    _, token = device_login(emu)
    credentials = role_credentials(emu, token["accessToken"])
    sts = sts_client(
        emu,
        credentials["accessKeyId"],
        credentials["secretAccessKey"],
        credentials["sessionToken"],
    )
    identity = sts.get_caller_identity()
    assert identity["Account"] == "111122223333"
    assert re.fullmatch(
        r"arn:aws:sts::111122223333:assumed-role/"
        r"AWSReservedSSO_ReadOnly_[0-9a-f]{16}/user@example\.com",
        identity["Arn"],
    )
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:user@example\.com", identity["UserId"])
    assert emu.calls["GetCallerIdentity"] == 1


def test_caller_identity_wrong_secret(emu):
    _, token = device_login(emu)
    credentials = role_credentials(emu, token["accessToken"])
    sts = sts_client(
        emu, credentials["accessKeyId"], "x" * 40, credentials["sessionToken"]
    )
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.get_caller_identity()
    assert error_code(error) == "SignatureDoesNotMatch"
    assert status_code(error) == 403


def test_caller_identity_unknown_key(emu):
    sts = sts_client(emu, "ASIAAAAAAAAAAAAAAAAA", "x" * 40, "token")
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.get_caller_identity()
    assert error_code(error) == "InvalidClientTokenId"
    assert status_code(error) == 403


def test_caller_identity_wrong_session_token(emu):
    _, token = device_login(emu)
    credentials = role_credentials(emu, token["accessToken"])
    sts = sts_client(
        emu, credentials["accessKeyId"], credentials["secretAccessKey"], "other"
    )
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.get_caller_identity()
    assert error_code(error) == "InvalidClientTokenId"


def test_caller_identity_expired_credentials(emu):
    _, token = device_login(emu)
    credentials = role_credentials(emu, token["accessToken"])
    emu.clock_offset = 3601
    sts = sts_client(
        emu,
        credentials["accessKeyId"],
        credentials["secretAccessKey"],
        credentials["sessionToken"],
    )
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.get_caller_identity()
    assert error_code(error) == "ExpiredToken"


def test_caller_identity_unsigned(emu):
    sts = unsigned_client(emu, "sts")
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.get_caller_identity()
    assert error_code(error) == "MissingAuthenticationToken"


def botocore_signed_request(secret_key, url, body):
    """Sign a request with botocore's SigV4 signer and convert it for verify_sigv4."""
    credentials = botocore.credentials.Credentials("AKIDEXAMPLE", secret_key)
    request = botocore.awsrequest.AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": "application/json", "X-Custom": "a   b  "},
    )
    botocore.auth.SigV4Auth(credentials, "sso-oauth", "us-east-1").add_auth(request)
    parts = urllib.parse.urlsplit(url)
    headers = [("Host", parts.netloc)] + list(request.headers.items())
    return SignedRequest("POST", parts.path, parts.query, headers, body)


def test_verify_sigv4_botocore_signature():
    url = "http://127.0.0.1:8080/token/a%20b?b=2&a=1&c=x%2Fy"
    request = botocore_signed_request("secret", url, b'{"a": 1}')
    assert verify_sigv4(request, "secret")


def test_verify_sigv4_wrong_secret():
    url = "http://127.0.0.1:8080/token?a=1"
    request = botocore_signed_request("secret", url, b"{}")
    assert not verify_sigv4(request, "other")


def test_verify_sigv4_tampered_body():
    url = "http://127.0.0.1:8080/token"
    request = botocore_signed_request("secret", url, b'{"a": 1}')
    tampered = SignedRequest(
        request.method, request.path, request.raw_query, request.headers, b'{"a": 2}'
    )
    assert not verify_sigv4(tampered, "secret")


# Faults, clock and server


def test_inject_server_error(emu):
    emu.inject(
        "CreateToken",
        status=500,
        error_type="InternalServerException",
        body={"error": "server_error"},
    )
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    with pytest.raises(oidc.exceptions.InternalServerException) as error:
        poll_device(oidc, client, device)
    assert status_code(error) == 500


def test_inject_faults_consumed_in_order(emu):
    emu.inject("CreateToken", status=500, error_type="InternalServerException", count=2)
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    emu.approve(device["userCode"])
    retrying = botocore_session().create_client(
        "sso-oidc",
        region_name="us-east-1",
        endpoint_url=emu.url,
        config=botocore.config.Config(
            signature_version=botocore.UNSIGNED,
            retries={"total_max_attempts": 3, "mode": "standard"},
        ),
    )
    assert poll_device(retrying, client, device)["accessToken"]
    assert emu.calls["CreateToken"] == 3


def test_inject_close_connection(emu):
    emu.inject("RegisterClient", close_connection=True)
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        register(oidc_client(emu))
    assert register(oidc_client(emu))["clientId"]


def test_inject_raw_body(emu):
    emu.inject("GetRoleCredentials", status=503, body="")
    token = emu.issue_token()
    with pytest.raises(botocore.exceptions.ClientError) as error:
        role_credentials(emu, token["accessToken"])
    assert status_code(error) == 503


def test_inject_malformed_json(emu):
    emu.inject("CreateToken", status=200, body="{not json")
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    response = poll_device(oidc, client, device)
    assert "accessToken" not in response


def test_inject_delay_times_out(emu):
    emu.inject("GetRoleCredentials", delay=2.0)
    token = emu.issue_token()
    portal = portal_client(emu, read_timeout=0.5)
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        portal.get_role_credentials(
            roleName="ReadOnly",
            accountId="111122223333",
            accessToken=token["accessToken"],
        )


def test_inject_unknown_operation(emu):
    with pytest.raises(ValueError):
        emu.inject("GetSecretValue", status=500)


def test_response_delay_setting(emu):
    emu.response_delay = {"RegisterClient": 0.3}
    started = time.monotonic()
    register(oidc_client(emu))
    assert time.monotonic() - started >= 0.3


def test_clock_offset_moves_date_header(emu):
    emu.clock_offset = 7200
    response = register(oidc_client(emu))
    date = response["ResponseMetadata"]["HTTPHeaders"]["date"]
    shift = email.utils.parsedate_to_datetime(date).timestamp() - time.time()
    assert 7190 < shift < 7210


def test_clock_offset_moves_issued_times(emu):
    emu.clock_offset = 7200
    client = register(oidc_client(emu))
    assert client["clientIdIssuedAt"] - time.time() > 7190


def test_responses_carry_request_id(emu):
    response = register(oidc_client(emu))
    assert response["ResponseMetadata"]["RequestId"]


def test_unknown_path_counted(emu):
    status, _, body = http_get(f"{emu.url}/no/such/path")
    assert status == 404
    assert "message" in json.loads(body)
    assert emu.calls["Unknown"] == 1


def test_reset_counters(emu):
    register(oidc_client(emu))
    emu.reset_counters()
    assert emu.calls["RegisterClient"] == 0
    assert emu.requests == []


def test_control_api(emu):
    register(oidc_client(emu))
    assert control(emu, "calls")["RegisterClient"] == 1
    control(emu, "reset", {})
    assert control(emu, "calls") == {}
    settings = control(emu, "settings", {"access_token_ttl": 60, "auto_approve": False})
    assert settings["access_token_ttl"] == 60
    assert emu.auto_approve is False


def test_control_api_rejects_unknown_setting(emu):
    with pytest.raises(urllib.error.HTTPError) as error:
        control(emu, "settings", {"no_such_setting": 1})
    assert error.value.code == 400


def test_control_api_issue_token(emu):
    token = control(emu, "issue-token", {"scopes": ["sso:account:access"]})
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", token["expiresAt"])
    assert role_credentials(emu, token["accessToken"])["accessKeyId"]


def test_control_api_inject(emu):
    fault = {
        "operation": "RegisterClient",
        "status": 500,
        "error_type": "InternalServerException",
    }
    control(emu, "inject", fault)
    oidc = oidc_client(emu)
    with pytest.raises(oidc.exceptions.InternalServerException):
        register(oidc)


def test_control_api_approve(emu):
    emu.auto_approve = False
    oidc = oidc_client(emu)
    client = register(oidc)
    device = start_device(oidc, client)
    control(emu, "approve", {"userCode": device["userCode"]})
    assert poll_device(oidc, client, device)["accessToken"]


def test_server_binds_loopback(emu):
    host, _ = emu.server.socket.getsockname()
    assert host == "127.0.0.1"
    assert emu.url.startswith("http://127.0.0.1:")


def test_server_rejects_other_address():
    with pytest.raises(ValueError):
        Emulator(host="0.0.0.0")


def test_stop_closes_socket():
    emulator = Emulator().start()
    register(oidc_client(emulator))
    _, port = emulator.server.socket.getsockname()
    emulator.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_command_line_serves_until_sigterm(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "credential_process.emulator"]
        + ["--access-token-ttl", "60"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    try:
        url = json.loads(process.stdout.readline())["url"]
        with urllib.request.urlopen(f"{url}/_emulator/settings", timeout=5) as response:
            settings = json.loads(response.read())
        assert settings["access_token_ttl"] == 60
    finally:
        process.send_signal(signal.SIGTERM)
        return_code = process.wait(timeout=10)
        process.stdout.close()
    assert return_code == 0
