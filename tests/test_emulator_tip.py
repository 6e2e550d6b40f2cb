"""The emulator's CreateTokenWithIAM and AssumeRole through real botocore clients."""

import base64
import json

import botocore
import botocore.config
import botocore.exceptions
import botocore.session
import pytest

from credential_process.emulator import Emulator
from credential_process.emulator.tip import test_assertion
from credential_process.emulator.tipstate import identity_center_user_id

APPLICATION = (
    "arn:aws:sso::111122223333:application/ssoins-7223000000000000/"
    "apl-1111111111111111"
)
ISSUER = "https://idp.example.com"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CONTEXT_PROVIDER = "arn:aws:iam::aws:contextProvider/IdentityCenter"
ROLE_ARN = "arn:aws:iam::111122223333:role/path/AppRole"
NO_RETRIES = botocore.config.Config(retries={"total_max_attempts": 1})


@pytest.fixture(autouse=True)
def isolated_aws_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emu():
    with Emulator() as emulator:
        emulator.add_application(APPLICATION, trusted_issuer=ISSUER,
                                 audience="app", issuer_secret="issuer-key")
        yield emulator


def client(emu, service, keys=None, session_token=None, region="us-east-1",
           unsigned=False):
    config = NO_RETRIES
    if unsigned:
        config = config.merge(
            botocore.config.Config(signature_version=botocore.UNSIGNED))
    access_key, secret_key = keys or (None, None)
    return botocore.session.get_session().create_client(
        service, region_name=region, endpoint_url=emu.url, config=config,
        aws_access_key_id=access_key, aws_secret_access_key=secret_key,
        aws_session_token=session_token,
    )


def assertion(**claims):
    values = dict(issuer=ISSUER, subject="alice", audience="app",
                  secret="issuer-key")
    values.update(claims)
    return test_assertion(**values)


def exchange(oidc, token=None, application=APPLICATION):
    return oidc.create_token_with_iam(clientId=application, grantType=JWT_BEARER,
                                      assertion=token or assertion())


def claims_of(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def error_code(error):
    return error.value.response["Error"]["Code"]


def test_exchange_returns_identity_context(emu):
    oidc = client(emu, "sso-oidc", emu.add_iam_user())
    response = exchange(oidc)
    claims = claims_of(response["idToken"])
    assert claims["sts:identity_context"].startswith("ctx")
    assert claims["sub"] == identity_center_user_id(ISSUER, "alice")
    assert response["awsAdditionalDetails"]["identityContext"] == (
        claims["sts:identity_context"])
    assert response["refreshToken"]


def test_exchange_counts_grants(emu):
    oidc = client(emu, "sso-oidc", emu.add_iam_user())
    refresh = exchange(oidc)["refreshToken"]
    oidc.create_token_with_iam(clientId=APPLICATION, grantType="refresh_token",
                               refreshToken=refresh)
    assert emu.calls["CreateTokenWithIAM"] == 2
    assert emu.calls["CreateTokenWithIAM:refresh_token"] == 1


def test_unsigned_exchange_refused(emu):
    oidc = client(emu, "sso-oidc", unsigned=True)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        exchange(oidc)
    assert error_code(error) == "MissingAuthenticationTokenException"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_key_refused(emu):
    oidc = client(emu, "sso-oidc", ("AKIAAAAAAAAAAAAAAAAA", "x" * 40))
    with pytest.raises(botocore.exceptions.ClientError) as error:
        exchange(oidc)
    assert error_code(error) == "UnrecognizedClientException"


def test_wrong_secret_refused(emu):
    access_key, _ = emu.add_iam_user()
    oidc = client(emu, "sso-oidc", (access_key, "y" * 40))
    with pytest.raises(botocore.exceptions.ClientError) as error:
        exchange(oidc)
    assert error_code(error) == "InvalidSignatureException"


def test_role_credentials_may_sign(emu):
    keys = emu.add_iam_user()
    sts = client(emu, "sts", keys)
    role = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="app")["Credentials"]
    oidc = client(emu, "sso-oidc", (role["AccessKeyId"], role["SecretAccessKey"]),
                  session_token=role["SessionToken"])
    assert exchange(oidc)["accessToken"]


@pytest.mark.parametrize("claims", [
    {"issuer": "https://other.example.com"},
    {"expires_in": -10},
    {"audience": "other"},
    {"secret": "wrong-key"},
    {"secret": None},
])
def test_bad_assertion_invalid_grant(emu, claims):
    oidc = client(emu, "sso-oidc", emu.add_iam_user())
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        exchange(oidc, assertion(**claims))


def test_unknown_application_invalid_client(emu):
    oidc = client(emu, "sso-oidc", emu.add_iam_user())
    with pytest.raises(oidc.exceptions.InvalidClientException):
        exchange(oidc, application=APPLICATION + "0")


def test_other_region_rejected(emu):
    oidc = client(emu, "sso-oidc", emu.add_iam_user(), region="eu-west-1")
    with pytest.raises(oidc.exceptions.InvalidRequestRegionException) as error:
        exchange(oidc)
    assert error.value.response["region"] == "us-east-1"


def test_principal_not_allowed(emu):
    keys = emu.add_iam_user()
    emu.add_application(APPLICATION, trusted_issuer=ISSUER, allowed_access_keys=[])
    oidc = client(emu, "sso-oidc", keys)
    with pytest.raises(oidc.exceptions.AccessDeniedException):
        exchange(oidc, assertion(audience=None, secret=None))


def test_rotated_refresh_token_rejected(emu):
    oidc = client(emu, "sso-oidc", emu.add_iam_user())
    refresh = exchange(oidc)["refreshToken"]
    oidc.create_token_with_iam(clientId=APPLICATION, grantType="refresh_token",
                               refreshToken=refresh)
    with pytest.raises(oidc.exceptions.InvalidGrantException):
        oidc.create_token_with_iam(clientId=APPLICATION, grantType="refresh_token",
                                   refreshToken=refresh)


def identity_enhanced_session(emu):
    keys = emu.add_iam_user()
    context = claims_of(exchange(client(emu, "sso-oidc", keys))["idToken"])[
        "sts:identity_context"]
    sts = client(emu, "sts", keys)
    return sts.assume_role(
        RoleArn=ROLE_ARN, RoleSessionName="alice-session",
        ProvidedContexts=[{"ProviderArn": CONTEXT_PROVIDER,
                           "ContextAssertion": context}],
    )


def test_assume_role_response_shape(emu):
    response = identity_enhanced_session(emu)
    assert response["AssumedRoleUser"]["Arn"] == (
        "arn:aws:sts::111122223333:assumed-role/AppRole/alice-session")
    assert response["AssumedRoleUser"]["AssumedRoleId"].endswith(":alice-session")
    assert response["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert response["Credentials"]["Expiration"].tzinfo is not None


def test_assumed_session_caller_identity(emu):
    role = identity_enhanced_session(emu)["Credentials"]
    sts = client(emu, "sts", (role["AccessKeyId"], role["SecretAccessKey"]),
                 session_token=role["SessionToken"])
    identity = sts.get_caller_identity()
    assert identity["Arn"] == (
        "arn:aws:sts::111122223333:assumed-role/AppRole/alice-session")
    assert identity["Account"] == "111122223333"


def test_assumed_session_carries_user(emu):
    role = identity_enhanced_session(emu)["Credentials"]
    context = emu.identity_context_of(role["AccessKeyId"])
    assert context.user_id == identity_center_user_id(ISSUER, "alice")


def test_assume_role_without_context(emu):
    sts = client(emu, "sts", emu.add_iam_user())
    role = sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="plain")["Credentials"]
    assert emu.identity_context_of(role["AccessKeyId"]) is None


def test_unknown_context_rejected(emu):
    sts = client(emu, "sts", emu.add_iam_user())
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="app", ProvidedContexts=[
            {"ProviderArn": CONTEXT_PROVIDER, "ContextAssertion": "ctx-unknown"}])
    assert error_code(error) == "InvalidParameterValue"


def test_expired_context_rejected(emu):
    keys = emu.add_iam_user()
    context = claims_of(exchange(client(emu, "sso-oidc", keys))["idToken"])[
        "sts:identity_context"]
    emu.clock_offset = 4000
    sts = client(emu, "sts", keys)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="app", ProvidedContexts=[
            {"ProviderArn": CONTEXT_PROVIDER, "ContextAssertion": context}])
    assert error_code(error) == "ExpiredTokenException"


def test_unsigned_assume_role_refused(emu):
    sts = client(emu, "sts", unsigned=True)
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="app")
    assert error_code(error) == "MissingAuthenticationToken"


def test_invalid_duration_rejected(emu):
    sts = client(emu, "sts", emu.add_iam_user())
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="app", DurationSeconds=43201)
    assert error_code(error) == "ValidationError"


def test_assume_role_fault_is_xml(emu):
    emu.inject("AssumeRole", status=503, error_type="ServiceUnavailable")
    sts = client(emu, "sts", emu.add_iam_user())
    with pytest.raises(botocore.exceptions.ClientError) as error:
        sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName="app")
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
