"""The exchange command end to end: real executable, real consumers, the emulator."""

import json
import stat
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import Home, awscli_command, parse_credentials, tool_command
from credential_process import cachefiles, timeutil
from credential_process.emulator.tip import test_assertion
from credential_process.emulator.tipstate import identity_center_user_id

APPLICATION = (
    "arn:aws:sso::111122223333:application/ssoins-7223000000000000/"
    "apl-1111111111111111"
)
ROLE_ARN = "arn:aws:iam::111122223333:role/S3AccessGrantsUser"
ISSUER = "https://token.ci.example.com"
AUDIENCE = "sts.amazonaws.com"
SUBJECT = "repo:example/app:ref:refs/heads/main"

COUNTING_TOKEN_SCRIPT = """\
import pathlib, sys
counter = pathlib.Path(sys.argv[1])
runs = int(counter.read_text()) if counter.exists() else 0
counter.write_text(str(runs + 1))
sys.stdout.write(pathlib.Path(sys.argv[2]).read_text())
"""

CALLER_IDENTITY = """\
    import json, boto3
    session = boto3.Session(profile_name="{profile}")
    identity = session.client("sts").get_caller_identity()
    key = session.get_credentials().get_frozen_credentials().access_key
    print(json.dumps({{"Arn": identity["Arn"], "AccessKeyId": key}}))
    """


class ExchangeHome(Home):
    """A scratch HOME with application keys, an assertion and exchange profiles."""

    def __init__(self, path, emulator):
        super().__init__(path, emulator.url)
        self.emulator = emulator
        self.access_key, self.secret_key = emulator.add_iam_user()
        (self.aws / "credentials").write_text(
            "[app]\n"
            f"aws_access_key_id = {self.access_key}\n"
            f"aws_secret_access_key = {self.secret_key}\n"
        )
        self.assertion_file = path / "ci-token.jwt"
        self.write_assertion()
        self.counter = path / "assertion-runs"
        self.script = path / "print_token.py"
        self.script.write_text(COUNTING_TOKEN_SCRIPT)
        self.state = path / ".aws" / "sso-credential-process" / "exchange"
        self.write_profiles()

    def write_assertion(self, **claims) -> str:
        values = dict(issuer=ISSUER, subject=SUBJECT, audience=AUDIENCE)
        values.update(claims)
        self.assertion = test_assertion(**values)
        self.assertion_file.write_text(self.assertion)
        return self.assertion

    def write_profiles(self, source="assertion_file", value=None, extra="") -> None:
        if value is None:
            value = str(self.assertion_file)
        process = f"{sys.executable} {self.script} {self.counter} {self.assertion_file}"
        self.write_config(f"""\
            [profile tip]
            credential_process = TOOL exchange --profile tip
            sso_credential_process_application_arn = {APPLICATION}
            sso_credential_process_role_arn = {ROLE_ARN}
            sso_credential_process_sso_region = us-east-1
            sso_credential_process_{source} = {value}
            sso_credential_process_source_profile = app
            {extra}

            [profile tip-process]
            credential_process = TOOL exchange --profile tip-process
            sso_credential_process_application_arn = {APPLICATION}
            sso_credential_process_role_arn = {ROLE_ARN}
            sso_credential_process_sso_region = us-east-1
            sso_credential_process_assertion_process = {process}
            sso_credential_process_source_profile = app
            """)

    def assertion_runs(self) -> int:
        return int(self.counter.read_text()) if self.counter.exists() else 0

    def files(self, kind: str):
        directory = self.state / kind
        return sorted(directory.iterdir()) if directory.exists() else []


@pytest.fixture
def tip_home(tmp_path, emulator):
    emulator.add_application(APPLICATION, trusted_issuer=ISSUER, audience=AUDIENCE)
    return ExchangeHome(tmp_path / "home", emulator)


def exchange(home, *arguments, profile="tip", extra_env=None):
    return home.run(["exchange", "--profile", profile, *arguments],
                    extra_env=extra_env)


def caller_identity(home, profile="tip"):
    result = home.python(CALLER_IDENTITY.format(profile=profile))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def run_parallel(home, count, arguments):
    processes = [
        subprocess.Popen(
            tool_command() + list(arguments), env=home.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        results.append((process.returncode, stdout, stderr))
    return results


# The chain through consumers


def test_boto3_assumed_role_arn(tip_home, emulator):
    identity = caller_identity(tip_home)
    assert identity["Arn"] == (
        "arn:aws:sts::111122223333:assumed-role/S3AccessGrantsUser/"
        "sso-credential-process"
    )
    assert emulator.calls["CreateTokenWithIAM"] == 1
    assert emulator.calls["AssumeRole"] == 1


def test_boto3_session_identity_enhanced(tip_home, emulator):
    identity = caller_identity(tip_home)
    context = emulator.identity_context_of(identity["AccessKeyId"])
    assert context is not None
    assert context.user_id == identity_center_user_id(ISSUER, SUBJECT)
    assert context.application_arn == APPLICATION


def test_awscli_v1_caller_identity(tip_home, emulator):
    aws = awscli_command()
    assert aws, "the AWS CLI v1 is a test dependency"
    result = subprocess.run(
        [aws, "sts", "get-caller-identity", "--profile", "tip", "--output", "json"],
        env=tip_home.env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        start_new_session=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Arn"].endswith(
        ":assumed-role/S3AccessGrantsUser/sso-credential-process"
    )


def test_options_without_profile(tip_home, emulator):
    result = tip_home.run([
        "exchange", "--application-arn", APPLICATION, "--role-arn", ROLE_ARN,
        "--sso-region", "us-east-1", "--assertion-file",
        str(tip_home.assertion_file), "--source-profile", "app",
        "--role-session-name", "ci-job", "--duration-seconds", "7200",
    ])
    assert result.returncode == 0, result.stderr
    document = parse_credentials(result.stdout)
    left = timeutil.parse_timestamp(document["Expiration"]) - time.time()
    assert left > 3600
    assert document["AccountId"] == "111122223333"


def test_assertion_from_environment(tip_home, emulator):
    tip_home.write_profiles(source="assertion_env", value="CI_OIDC_TOKEN")
    result = exchange(tip_home, extra_env={"CI_OIDC_TOKEN": tip_home.assertion})
    assert result.returncode == 0, result.stderr
    assert emulator.calls["AssumeRole"] == 1


def test_option_overrides_profile(tip_home, emulator):
    result = exchange(tip_home, "--role-session-name", "override")
    assert result.returncode == 0, result.stderr
    key = parse_credentials(result.stdout)["AccessKeyId"]
    assert emulator.role_credentials[key].session_name == "override"


# Caching and refresh


def test_warm_cache_is_silent(tip_home, emulator):
    first = exchange(tip_home)
    second = exchange(tip_home)
    assert first.returncode == 0, first.stderr
    assert second.stdout == first.stdout
    assert second.stderr == ""
    assert emulator.calls["CreateTokenWithIAM"] == 1
    assert emulator.calls["AssumeRole"] == 1


def test_cache_file_modes(tip_home, emulator):
    assert exchange(tip_home).returncode == 0
    for kind in ("tokens", "roles", "sources"):
        directory = tip_home.state / kind
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        for path in tip_home.files(kind):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_token_cache_keyed_by_subject(tip_home, emulator):
    assert exchange(tip_home).returncode == 0
    tip_home.write_assertion(subject="repo:example/app:ref:refs/heads/release")
    second = exchange(tip_home)
    assert second.returncode == 0, second.stderr
    assert len(tip_home.files("tokens")) == 2
    context = emulator.identity_context_of(
        parse_credentials(second.stdout)["AccessKeyId"])
    assert context.subject == "repo:example/app:ref:refs/heads/release"


def expire_cached_token(home) -> dict:
    """Make the cached Identity Center token expired, here and in the emulator."""
    [path] = home.files("tokens")
    record = json.loads(path.read_text())
    home.emulator.expire_application_token(record["accessToken"])
    record["expiresAt"] = timeutil.format_timestamp(time.time() - 60)
    cachefiles.write_json_atomic(str(path), record)
    for role_file in home.files("roles"):
        role_file.unlink()
    return record


def test_refresh_reads_no_assertion(tip_home, emulator):
    first = exchange(tip_home, profile="tip-process")
    assert first.returncode == 0, first.stderr
    expire_cached_token(tip_home)
    second = exchange(tip_home, profile="tip-process")
    assert second.returncode == 0, second.stderr
    assert emulator.calls["CreateTokenWithIAM:refresh_token"] == 1
    assert emulator.calls["CreateTokenWithIAM"] == 2
    assert tip_home.assertion_runs() == 1
    assert emulator.calls["AssumeRole"] == 2


def test_refresh_keeps_new_context(tip_home, emulator):
    assert exchange(tip_home, profile="tip-process").returncode == 0
    old = expire_cached_token(tip_home)
    second = exchange(tip_home, profile="tip-process")
    assert second.returncode == 0, second.stderr
    [path] = tip_home.files("tokens")
    record = json.loads(path.read_text())
    assert record["identityContext"] != old["identityContext"]
    assert record["refreshToken"] != old["refreshToken"]


def test_rejected_refresh_reads_assertion(tip_home, emulator):
    assert exchange(tip_home, profile="tip-process").returncode == 0
    expire_cached_token(tip_home)
    emulator.inject("CreateTokenWithIAM", status=400,
                    error_type="InvalidGrantException")
    second = exchange(tip_home, profile="tip-process")
    assert second.returncode == 0, second.stderr
    assert tip_home.assertion_runs() == 2


def test_short_lived_role_credentials_renewed(tip_home, emulator):
    assert exchange(tip_home).returncode == 0
    [path] = tip_home.files("roles")
    entry = json.loads(path.read_text())
    entry["Credentials"]["Expiration"] = timeutil.format_timestamp(time.time() + 600)
    cachefiles.write_json_atomic(str(path), entry)
    second = exchange(tip_home)
    assert second.returncode == 0, second.stderr
    assert emulator.calls["AssumeRole"] == 2
    assert emulator.calls["CreateTokenWithIAM"] == 1


def test_parallel_runs_one_exchange(tip_home, emulator):
    emulator.response_delay["CreateTokenWithIAM"] = 0.3
    emulator.response_delay["AssumeRole"] = 0.3
    results = run_parallel(tip_home, 20, ["exchange", "--profile", "tip-process"])
    assert [code for code, _, _ in results] == [0] * 20, results[0][2]
    assert emulator.calls["CreateTokenWithIAM"] == 1
    assert emulator.calls["AssumeRole"] == 1
    assert tip_home.assertion_runs() == 1
    keys = {json.loads(stdout)["AccessKeyId"] for _, stdout, _ in results}
    assert len(keys) == 1


# --print-token


def test_print_token_document(tip_home, emulator):
    result = exchange(tip_home, "--print-token")
    assert result.returncode == 0, result.stderr
    document = parse_credentials(result.stdout)
    assert list(document) == ["accessToken", "expiresAt"]
    assert document["accessToken"] in emulator.trusted_identity.access_tokens
    assert timeutil.parse_timestamp(document["expiresAt"]) > time.time() + 3000
    assert emulator.calls["AssumeRole"] == 0


def test_print_token_needs_no_role(tip_home, emulator):
    result = tip_home.run([
        "exchange", "--print-token", "--application-arn", APPLICATION,
        "--sso-region", "us-east-1", "--assertion-file",
        str(tip_home.assertion_file), "--source-profile", "app",
    ])
    assert result.returncode == 0, result.stderr


# Errors


def test_untrusted_issuer_exit_code(tip_home, emulator):
    tip_home.write_assertion(issuer="https://untrusted.example.com")
    result = exchange(tip_home)
    assert result.returncode == 3
    assert result.stdout == ""
    assert APPLICATION in result.stderr
    assert "trusted token issuer" in result.stderr
    assert "Traceback" not in result.stderr


def test_expired_assertion_exit_code(tip_home, emulator):
    tip_home.write_assertion(expires_in=-60)
    result = exchange(tip_home)
    assert result.returncode == 3
    assert "expired" in result.stderr
    assert emulator.calls["CreateTokenWithIAM"] == 0


def test_wrong_audience_exit_code(tip_home, emulator):
    tip_home.write_assertion(audience="other-audience")
    result = exchange(tip_home)
    assert result.returncode == 3
    assert "InvalidGrantException" in result.stderr


def test_malformed_assertion_exit_code(tip_home, emulator):
    tip_home.assertion_file.write_text("not-a-jwt")
    result = exchange(tip_home)
    assert result.returncode == 3
    assert "not a JWT" in result.stderr


def test_missing_assertion_file(tip_home, emulator):
    tip_home.assertion_file.unlink()
    result = exchange(tip_home)
    assert result.returncode == 2
    assert str(tip_home.assertion_file) in result.stderr


def test_failing_assertion_command(tip_home, emulator):
    tip_home.write_profiles(source="assertion_process", value="/bin/false")
    result = exchange(tip_home)
    assert result.returncode == 3
    assert "exit code 1" in result.stderr


def test_unknown_application_exit_code(tip_home, emulator):
    other = APPLICATION.replace("apl-1111111111111111", "apl-2222222222222222")
    result = exchange(tip_home, "--application-arn", other)
    assert result.returncode == 4
    assert other in result.stderr
    assert "--application-arn" in result.stderr


def test_access_denied_exit_code(tip_home, emulator):
    emulator.add_application(APPLICATION, trusted_issuer=ISSUER,
                             allowed_access_keys=[])
    result = exchange(tip_home)
    assert result.returncode == 4
    assert "sso-oauth:CreateTokenWithIAM" in result.stderr
    assert APPLICATION in result.stderr


def test_wrong_region_exit_code(tip_home, emulator):
    emulator.add_application(APPLICATION, trusted_issuer=ISSUER, region="eu-west-1")
    result = exchange(tip_home)
    assert result.returncode == 2
    assert "eu-west-1" in result.stderr


def test_unknown_source_keys_exit_code(tip_home, emulator):
    (tip_home.aws / "credentials").write_text(
        "[app]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\n"
        "aws_secret_access_key = wrong\n")
    result = exchange(tip_home)
    assert result.returncode == 4
    assert 'source profile "app"' in result.stderr


def test_assume_role_denied_exit_code(tip_home, emulator):
    emulator.inject("AssumeRole", status=403, error_type="AccessDenied", body=(
        '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>'
        '<Message>not authorized</Message></Error></ErrorResponse>'))
    result = exchange(tip_home)
    assert result.returncode == 4
    assert "sts:SetContext" in result.stderr


def test_service_unavailable_exit_code(tip_home, emulator):
    emulator.inject("CreateTokenWithIAM", status=503, count=3,
                    error_type="InternalServerException")
    result = exchange(tip_home)
    assert result.returncode == 5


def test_missing_setting_exit_code(tip_home, emulator):
    result = tip_home.run(["exchange", "--assertion-file", "x"])
    assert result.returncode == 2
    assert "--application-arn" in result.stderr


def test_invalid_role_arn_exit_code(tip_home, emulator):
    result = exchange(tip_home, "--role-arn", "S3AccessGrantsUser")
    assert result.returncode == 2
    assert '"S3AccessGrantsUser"' in result.stderr


def test_no_source_credentials_message(tip_home, emulator):
    result = tip_home.run([
        "exchange", "--application-arn", APPLICATION, "--role-arn", ROLE_ARN,
        "--sso-region", "us-east-1", "--assertion-file",
        str(tip_home.assertion_file),
    ])
    assert result.returncode == 2
    assert "No IAM credentials were found in the default credential chain" \
        in result.stderr
    assert "the the" not in result.stderr


# The recursion guard


def test_source_profile_loop_refused(tip_home, emulator):
    tip_home.write_profiles(extra="")
    config = tip_home.config_file.read_text().replace(
        "sso_credential_process_source_profile = app",
        "sso_credential_process_source_profile = tip", 1)
    tip_home.config_file.write_text(config)
    result = exchange(tip_home)
    assert result.returncode == 2
    assert 'source profile "tip"' in result.stderr
    assert emulator.calls["CreateTokenWithIAM"] == 0


def test_chained_source_loop_refused(tip_home, emulator):
    with tip_home.config_file.open("a") as stream:
        stream.write("\n[profile hop]\nrole_arn = arn:aws:iam::111122223333:role/Hop"
                     "\nsource_profile = tip\n")
    result = exchange(tip_home, "--source-profile", "hop")
    assert result.returncode == 2
    assert 'source profile "hop"' in result.stderr
    assert "hop -> tip" in result.stderr


def test_loop_error_names_given_source(tip_home, emulator):
    tip_home.write_config(f"""\
        [profile loop-a]
        credential_process = TOOL exchange --profile loop-a
        sso_credential_process_application_arn = {APPLICATION}
        sso_credential_process_role_arn = {ROLE_ARN}
        sso_credential_process_sso_region = us-east-1
        sso_credential_process_assertion_file = {tip_home.assertion_file}
        sso_credential_process_source_profile = loop-b

        [profile loop-b]
        role_arn = arn:aws:iam::111122223333:role/Hop
        source_profile = loop-a
        """)
    result = exchange(tip_home, profile="loop-a")
    assert result.returncode == 2
    assert 'The source profile "loop-b"' in result.stderr
    assert 'source profile "loop-a"' not in result.stderr
    assert "loop-b -> loop-a" in result.stderr
    assert emulator.calls["CreateTokenWithIAM"] == 0


def test_wrapped_loop_refused(tip_home, emulator):
    command = " ".join(tool_command())
    with tip_home.config_file.open("a") as stream:
        stream.write(f"\n[profile wrapped]\ncredential_process = /bin/sh -c "
                     f"'exec {command} exchange --profile tip'\n")
    result = exchange(tip_home, "--source-profile", "wrapped")
    assert result.returncode == 2
    assert "runs the exchange again" in result.stderr
    assert emulator.calls["CreateTokenWithIAM"] == 0


def test_nested_exchange_refused(tip_home, emulator):
    result = exchange(tip_home, extra_env={
        "SSO_CREDENTIAL_PROCESS_EXCHANGE_CHAIN": APPLICATION})
    assert result.returncode == 2
    assert emulator.calls["CreateTokenWithIAM"] == 0


def test_default_chain_ignores_aws_profile(tip_home, emulator):
    result = tip_home.run([
        "exchange", "--application-arn", APPLICATION, "--role-arn", ROLE_ARN,
        "--sso-region", "us-east-1", "--assertion-file",
        str(tip_home.assertion_file),
    ], extra_env={"AWS_PROFILE": "tip", "AWS_ACCESS_KEY_ID": tip_home.access_key,
                  "AWS_SECRET_ACCESS_KEY": tip_home.secret_key})
    assert result.returncode == 0, result.stderr


# Secrets


def test_secrets_stay_off_stderr(tip_home, emulator):
    result = exchange(tip_home, "--debug", profile="tip-process")
    assert result.returncode == 0, result.stderr
    document = parse_credentials(result.stdout)
    [path] = tip_home.files("tokens")
    record = json.loads(path.read_text())
    secrets = {
        "assertion": tip_home.assertion,
        "IAM secret key": tip_home.secret_key,
        "role secret key": document["SecretAccessKey"],
        "session token": document["SessionToken"],
        "access token": record["accessToken"],
        "refresh token": record["refreshToken"],
        "identity context": record["identityContext"],
    }
    leaked = [name for name, value in secrets.items() if value in result.stderr]
    assert leaked == []


def test_rejected_assertion_not_echoed(tip_home, emulator):
    tip_home.write_assertion(issuer="https://untrusted.example.com")
    result = exchange(tip_home, "--debug")
    assert result.returncode == 3
    assert tip_home.assertion not in result.stderr
    payload = tip_home.assertion.split(".")[1]
    assert payload not in result.stderr


def post_control(url: str, name: str, payload: dict) -> dict:
    request = urllib.request.Request(
        f"{url}/_emulator/{name}", data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_standalone_emulator_exchange(tmp_path):
    # The README's worked example, set up only through the emulator's control API.
    server = subprocess.Popen(
        [sys.executable, "-m", "credential_process.emulator", "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        url = json.loads(server.stdout.readline())["url"]
        keys = post_control(url, "add-iam-user", {})
        post_control(url, "add-application",
                     {"arn": APPLICATION, "trustedIssuer": ISSUER})
        assertion = post_control(url, "issue-assertion",
                                 {"issuer": ISSUER, "subject": SUBJECT})["assertion"]
        home = Home(tmp_path / "home", url)
        token_file = tmp_path / "oidc-token"
        token_file.write_text(assertion)
        (home.aws / "credentials").write_text(
            "[ci-app]\n"
            f"aws_access_key_id = {keys['accessKeyId']}\n"
            f"aws_secret_access_key = {keys['secretAccessKey']}\n"
        )
        home.write_config(f"""\
            [profile s3-data]
            credential_process = TOOL exchange --profile s3-data
            sso_credential_process_application_arn = {APPLICATION}
            sso_credential_process_role_arn = {ROLE_ARN}
            sso_credential_process_sso_region = us-east-1
            sso_credential_process_assertion_file = {token_file}
            sso_credential_process_source_profile = ci-app
            """)
        result = home.run(["exchange", "--profile", "s3-data"])
        assert result.returncode == 0, result.stderr
        parse_credentials(result.stdout)
        with urllib.request.urlopen(f"{url}/_emulator/calls", timeout=10) as response:
            calls = json.loads(response.read())
        assert calls["CreateTokenWithIAM"] == 1
        assert calls["AssumeRole"] == 1
    finally:
        server.terminate()
        server.wait(timeout=10)
