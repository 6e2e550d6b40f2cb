"""botocore, the AWS CLI v1 and the AWS SDK for JavaScript v3 accept the output.

The JavaScript SDK is installed from npm into tests/js/node_modules once per test
session; without npm or node those tests are skipped with the reason.
"""

import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import (ACCOUNT, SESSION_CONFIG, awscli_command, parse_credentials,
                      tool_command)

JS_DIRECTORY = Path(__file__).resolve().parent / "js"
MERGED_PROFILES = """\
    [profile dev-merged]
    credential_process = sh -c 'TOOL --profile dev-sso 2>&1'
    region = eu-west-1
    """


@pytest.fixture(scope="session")
def js_sdk():
    """Install the JavaScript SDK from npm once; skip if npm or node is missing."""
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        pytest.skip("npm and node are needed for the AWS SDK for JavaScript tests")
    if not (JS_DIRECTORY / "node_modules" / "@aws-sdk" / "client-sts").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_DIRECTORY, check=True, timeout=600,
        )
    return node


@pytest.fixture
def consumer_home(home):
    text = textwrap.dedent(SESSION_CONFIG) + textwrap.dedent(MERGED_PROFILES)
    home.write_config(text)
    return home


def run_node(home, node, provider, profile):
    environment = dict(home.env, NODE_NO_WARNINGS="1")
    return subprocess.run(
        [node, str(JS_DIRECTORY / "caller_identity.mjs"), provider, profile],
        env=environment, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )


@pytest.mark.parametrize("provider", ["ini", "process"])
def test_js_sdk_reads_credentials(consumer_home, emulator, js_sdk, provider):
    consumer_home.seed_token(emulator)
    result = run_node(consumer_home, js_sdk, provider, "dev")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == ACCOUNT


def test_js_sdk_expiration_matches(consumer_home, emulator, js_sdk):
    consumer_home.seed_token(emulator)
    ours = parse_credentials(consumer_home.run(["--profile", "dev-sso"]).stdout)
    result = run_node(consumer_home, js_sdk, "ini", "dev")
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert parsed["AccessKeyId"] == ours["AccessKeyId"]
    assert parsed["Expiration"].replace(".000Z", "Z") == ours["Expiration"]


@pytest.mark.parametrize("provider", ["ini", "process"])
def test_js_sdk_merged_streams_warm(consumer_home, emulator, js_sdk, provider):
    consumer_home.seed_token(emulator)
    assert consumer_home.run(["--profile", "dev-sso"]).returncode == 0
    result = run_node(consumer_home, js_sdk, provider, "dev-merged")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == ACCOUNT


def test_merged_streams_warm_cache(consumer_home, emulator):
    consumer_home.seed_token(emulator)
    assert consumer_home.run(["--profile", "dev-sso"]).returncode == 0
    merged = subprocess.run(
        tool_command() + ["--profile", "dev-sso"], env=consumer_home.env,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=120, start_new_session=True,
    )
    assert merged.returncode == 0
    parse_credentials(merged.stdout)


def test_boto3_merged_streams_warm(consumer_home, emulator):
    consumer_home.seed_token(emulator)
    assert consumer_home.run(["--profile", "dev-sso"]).returncode == 0
    result = consumer_home.python("""
        import boto3
        identity = boto3.Session(profile_name="dev-merged").client(
            "sts", region_name="us-east-1").get_caller_identity()
        print(identity["Account"])
        """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ACCOUNT


def test_awscli_merged_streams_warm(consumer_home, emulator):
    consumer_home.seed_token(emulator)
    assert consumer_home.run(["--profile", "dev-sso"]).returncode == 0
    result = subprocess.run(
        [awscli_command(), "sts", "get-caller-identity", "--profile", "dev-merged",
         "--output", "json"],
        env=consumer_home.env, capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["Account"] == ACCOUNT
