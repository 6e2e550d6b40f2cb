"""configure populate and configure profile: generated profiles, kept bytes."""

import os
import re
import shutil
import subprocess
import sys

import pytest
from botocore.configloader import load_config

from conftest import SESSION
from test_detached_login import TerminalProcess

HAND_WRITTEN = """\
# My AWS config; keep this comment.
[default]
region = eu-west-1   ; trailing comment stays

[sso-session my-sso]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_registration_scopes = sso:account:access

[profile hand]
# a note about this profile
credential_process = /opt/other-tool --flag
region = us-west-2
"""

POPULATE = ["configure", "populate", "--sso-session", SESSION]


def generated_profiles(text):
    return re.findall(r"^\[profile ([^\]]+)\]\n(?:[^\[]*?)"
                      r"sso_credential_process_generated = true", text, re.M)


def test_populate_writes_every_role(home, emulator):
    home.seed_token(emulator)
    result = home.run(POPULATE)
    assert result.returncode == 0, result.stderr
    text = home.config_file.read_text()
    assert sorted(generated_profiles(text)) == [
        "my-sso-dev-Admin", "my-sso-dev-ReadOnly", "my-sso-prod-ReadOnly"]


def test_populate_follows_pagination(home, emulator):
    home.seed_token(emulator)
    for index in range(5):
        emulator.add_account(f"99990000000{index}", f"extra{index}", ["A", "B", "C"])
    assert home.run(POPULATE).returncode == 0
    assert len(generated_profiles(home.config_file.read_text())) == 3 + 15
    assert emulator.calls["ListAccounts"] == 4


def test_populate_line_runs_tool(home, emulator):
    home.seed_token(emulator)
    assert home.run(POPULATE).returncode == 0
    text = home.config_file.read_text()
    line = re.search(r"\[profile my-sso-prod-ReadOnly\]\ncredential_process = (.*)",
                     text).group(1)
    assert os.path.isabs(line.split()[0])
    assert line.endswith("--sso-session my-sso --account-id 444455556666 "
                         "--role-name ReadOnly")
    result = home.python("""
        import boto3
        session = boto3.Session(profile_name="my-sso-prod-ReadOnly")
        print(session.client("sts").get_caller_identity()["Account"])
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "444455556666"


def test_populate_keeps_other_bytes(home, emulator):
    home.config_file.write_text(HAND_WRITTEN)
    home.seed_token(emulator)
    assert home.run(POPULATE).returncode == 0
    text = home.config_file.read_text()
    assert text.startswith(HAND_WRITTEN)


def test_populate_keeps_backup_and_mode(home, emulator):
    home.config_file.write_text(HAND_WRITTEN)
    home.config_file.chmod(0o640)
    home.seed_token(emulator)
    assert home.run(POPULATE).returncode == 0
    backup = home.config_file.with_name("config.bak")
    assert backup.read_text() == HAND_WRITTEN
    assert home.config_file.stat().st_mode & 0o777 == 0o640


def test_populate_twice_unchanged(home, emulator):
    home.seed_token(emulator)
    assert home.run(POPULATE).returncode == 0
    first = home.config_file.read_text()
    result = home.run(POPULATE)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert home.config_file.read_text() == first


def test_prune_removes_lost_roles(home, emulator):
    home.config_file.write_text(HAND_WRITTEN)
    home.seed_token(emulator)
    assert home.run(POPULATE).returncode == 0
    emulator.remove_account("444455556666")
    result = home.run(POPULATE + ["--prune"])
    assert result.returncode == 0, result.stderr
    text = home.config_file.read_text()
    assert "my-sso-prod-ReadOnly" not in text
    assert "[profile my-sso-dev-ReadOnly]" in text
    assert text.startswith(HAND_WRITTEN)


def test_prune_keeps_hand_written(home, emulator):
    hand = HAND_WRITTEN + (
        "\n[profile mine]\ncredential_process = TOOL --sso-session my-sso "
        "--account-id 444455556666 --role-name Gone\n")
    home.config_file.write_text(hand)
    home.seed_token(emulator)
    assert home.run(POPULATE + ["--prune"]).returncode == 0
    assert "[profile mine]" in home.config_file.read_text()


def test_populate_skips_existing_profile(home, emulator):
    home.config_file.write_text(HAND_WRITTEN + (
        "\n[profile my-sso-dev-Admin]\nregion = us-east-2\n"))
    home.seed_token(emulator)
    result = home.run(POPULATE)
    assert result.returncode == 0, result.stderr
    assert "Skipped profile my-sso-dev-Admin" in result.stdout
    assert home.config_file.read_text().count("[profile my-sso-dev-Admin]") == 1


def test_populate_template_fields(home, emulator):
    home.seed_token(emulator)
    result = home.run(POPULATE + ["--profile-template", "{account_id}/{role_name}"])
    assert result.returncode == 0, result.stderr
    assert "[profile 444455556666-ReadOnly]" in home.config_file.read_text()


def test_populate_bad_template(home, emulator):
    home.seed_token(emulator)
    result = home.run(POPULATE + ["--profile-template", "{account}"])
    assert result.returncode == 2
    assert "{account}" in result.stderr


def test_populate_needs_login(home, emulator):
    result = home.run(POPULATE)
    assert result.returncode == 3
    assert "sso-credential-process login" in result.stderr


def test_path_with_spaces_quoted(home, emulator, tmp_path):
    home.seed_token(emulator)
    directory = tmp_path / "example tools"
    directory.mkdir()
    tool = directory / "sso-credential-process"
    tool.symlink_to(shutil.which("sso-credential-process",
                                 path=os.path.dirname(sys.executable)))
    result = subprocess.run([str(tool)] + POPULATE, env=home.env, text=True,
                            capture_output=True, stdin=subprocess.DEVNULL,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    text = home.config_file.read_text()
    assert f'credential_process = "{tool}" --sso-session my-sso' in text
    identity = home.python("""
        import boto3
        print(boto3.Session(profile_name="my-sso-dev-Admin")
              .client("sts").get_caller_identity()["Account"])
    """)
    assert identity.returncode == 0, identity.stderr
    assert identity.stdout.strip() == "111122223333"


def test_profile_with_options(home, emulator):
    home.seed_token(emulator)
    before = home.config_file.read_text()
    result = home.run(["configure", "profile", "--sso-session", SESSION,
                       "--account-id", "111122223333", "--role-name", "Admin",
                       "--profile-name", "dev-admin"])
    assert result.returncode == 0, result.stderr
    text = home.config_file.read_text()
    assert text.startswith(before)
    assert "[profile dev-admin]" in text
    assert "--account-id 111122223333 --role-name Admin" in text


def test_profile_without_terminal_fails(home, emulator):
    home.seed_token(emulator)
    result = home.run(["configure", "profile", "--sso-session", SESSION])
    assert result.returncode == 2
    assert "--account-id and --role-name" in result.stderr


def test_profile_picker_on_terminal(home, emulator):
    home.seed_token(emulator)
    terminal = TerminalProcess(home, ["configure", "profile", "--sso-session",
                                      SESSION, "--profile-name", "picked"])
    terminal.wait_for(re.compile(r"Number of the role to write \[1-3\]"))
    os.write(terminal.master, b"3\n")
    code, stdout, stderr, screen = terminal.finish()
    assert code == 0, stderr
    assert "444455556666  prod  ReadOnly" in screen
    text = home.config_file.read_text()
    assert "[profile picked]" in text
    assert "--account-id 444455556666 --role-name ReadOnly" in text


PROFILE_ADMIN = ["configure", "profile", "--sso-session", SESSION, "--account-id",
                 "111122223333", "--role-name", "Admin"]


@pytest.mark.parametrize("name", [
    "inj\ncredential_process = /bin/evil\n[profile x",
    "bad name]",
    "a[b",
    'say "hi"',
    "it's",
    "back\\slash",
    "tab\there",
    "",
    " leading",
    "trailing ",
])
def test_profile_name_rejected(home, emulator, name):
    home.seed_token(emulator)
    before = home.config_file.read_text()
    result = home.run(PROFILE_ADMIN + ["--profile-name", name])
    assert result.returncode == 2
    assert f"--profile-name {name!r}" in result.stderr
    assert "A profile name may contain" in result.stderr
    assert result.stderr.count("\n") == 1
    assert home.config_file.read_text() == before


def test_profile_name_with_space_quoted(home, emulator):
    home.seed_token(emulator)
    result = home.run(PROFILE_ADMIN + ["--profile-name", "team admin"])
    assert result.returncode == 0, result.stderr
    assert '[profile "team admin"]' in home.config_file.read_text()
    profiles = load_config(str(home.config_file))["profiles"]
    assert "team admin" in profiles
    assert profiles["team admin"]["credential_process"].endswith(
        "--account-id 111122223333 --role-name Admin")
    again = home.run(PROFILE_ADMIN + ["--profile-name", "team admin"])
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout


@pytest.mark.parametrize("key", [b"\x03", b"\x04"], ids=["ctrl-c", "ctrl-d"])
def test_profile_picker_cancel_keys(home, emulator, key):
    home.seed_token(emulator)
    before = home.config_file.read_text()
    terminal = TerminalProcess(home, ["configure", "profile", "--sso-session",
                                      SESSION, "--profile-name", "picked"])
    terminal.wait_for(re.compile(r"Number of the role to write \[1-3\]"))
    os.write(terminal.master, key)
    code, stdout, stderr, screen = terminal.finish(timeout=30)
    assert code == 130
    assert stdout == ""
    assert stderr == "sso-credential-process: interrupted\n"
    assert "is not a number" not in screen
    assert screen.count("Number of the role to write") == 1
    assert home.config_file.read_text() == before
