"""Unusable cache files and unwritable cache directories never stop a run.

An unreadable file is a cache miss with one warning naming the file. A failed
write is a warning: the credentials that were obtained are still printed, and no
temporary file stays behind. The file-system faults need root (chown, chattr,
mount), which the CI container has; they are skipped elsewhere.
"""

import json
import os
import shutil
import subprocess
import pytest

from conftest import parse_credentials
from test_login import run_with_terminal

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root for chown/chattr/mount")
OTHER_UID = 4242


def role_entry(expiration="2099-01-01T00:00:00Z", **credentials):
    document = {
        "AccessKeyId": "ASIAOLD", "SecretAccessKey": "old", "SessionToken": "old",
        "Expiration": expiration,
    }
    document.update(credentials)
    return {"ProviderType": "sso", "Credentials": document}


def no_temporary_files(*directories):
    return all(
        not any(p.name.endswith(".tmp") for p in d.iterdir())
        for d in directories if d.exists()
    )


@pytest.fixture
def immutable():
    """Set the immutable flag on paths, and clear it again after the test."""
    marked = []

    def mark(path):
        if shutil.which("chattr") is None:
            pytest.skip("chattr is not installed")
        result = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        if result.returncode != 0:
            pytest.skip(f"chattr +i is not supported here: {result.stderr!r}")
        marked.append(path)

    yield mark
    for path in marked:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def fill(directory):
    """Write to ``directory`` until the file system is full."""
    with open(directory / "filler", "wb", buffering=0) as stream:
        try:
            while True:
                stream.write(b"x" * 4096)
        except OSError:
            pass


@pytest.fixture
def small_mount():
    """Mount a 64 KiB tmpfs on a directory, and unmount it after the test."""
    mounts = []

    def mount(path):
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(path)],
            capture_output=True,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs: {result.stderr!r}")
        mounts.append(path)
        return path

    yield mount
    for path in mounts:
        subprocess.run(["umount", str(path)], check=False)


@pytest.mark.parametrize("content", [
    "",
    '{"startUrl": "https://example.awsapps.com/start", "accessTo',
    "TRAILING",
])
def test_corrupt_token_replaced_by_login(home, emulator, content):
    if content == "TRAILING":
        record = {"accessToken": "x", "expiresAt": "2020"}
        content = json.dumps(record) + '"}' + "x" * 40
    home.write_json(home.token_file(), content)
    code, stdout, stderr, screen = run_with_terminal(home, ["--profile", "dev-sso"])
    assert code == 0, stderr
    parse_credentials(stdout)
    assert "Ignoring the SSO token cache file" in stderr
    assert emulator.calls["StartDeviceAuthorization"] == 1
    assert "refreshToken" in json.loads(home.token_file().read_text())


def test_corrupt_registration_registers_again(home, emulator):
    code, _, stderr, _ = run_with_terminal(home, ["--profile", "dev-sso"])
    assert code == 0, stderr
    [registration] = [p for p in home.sso_cache.iterdir() if p != home.token_file()]
    registration.write_text('{"clientId": "CID-1", "clie')
    home.token_file().unlink()
    home.role_file().unlink()
    code, _, stderr, _ = run_with_terminal(home, ["--profile", "dev-sso", "-v"])
    assert code == 0, stderr
    assert "Ignoring the client registration cache file" in stderr
    assert emulator.calls["RegisterClient"] == 2
    assert json.loads(registration.read_text())["clientId"]


@pytest.mark.parametrize("entry", [
    role_entry(expiration=1893456000),
    role_entry(AccessKeyId=None),
    role_entry(SessionToken=["x"]),
    {"ProviderType": "sso", "Credentials": []},
    {"ProviderType": "assume-role", "Credentials": role_entry()["Credentials"]},
    {"Credentials": role_entry()["Credentials"]},
    role_entry(expiration="soon"),
])
def test_malformed_role_entry_refetched(home, emulator, entry):
    home.seed_token(emulator)
    home.write_json(home.role_file(), entry)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert parse_credentials(result.stdout)["AccessKeyId"] != "ASIAOLD"
    assert emulator.calls["GetRoleCredentials"] == 1


@pytest.mark.parametrize("field,value", [
    ("expiresAt", 1893456000),
    ("expiresAt", None),
    ("registrationExpiresAt", 5),
    ("clientSecret", None),
])
def test_wrong_token_field_types(home, emulator, field, value):
    home.seed_token(emulator, expires_in=-60, **{field: value})
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode in (0, 3)
    assert "Traceback" not in result.stderr
    assert "unexpected error" not in result.stderr


def test_wrong_expiry_type_refreshed(home, emulator):
    home.seed_token(emulator, expiresAt=1893456000)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 1


def test_missing_access_token_is_miss(home, emulator):
    record = home.seed_token(emulator)
    del record["accessToken"]
    home.write_json(home.token_file(), record)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert "has no accessToken" in result.stderr


def test_huge_token_file_ignored(home, emulator):
    record = home.seed_token(emulator)
    record["padding"] = "x" * (2 << 20)
    home.write_json(home.token_file(), record)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert "larger than" in result.stderr
    assert len(home.token_file().read_text()) > 2 << 20


def test_symlinked_role_file_replaced(home, emulator, tmp_path):
    home.seed_token(emulator)
    target = tmp_path / "planted.json"
    target.write_text(json.dumps(role_entry()))
    home.role_cache.mkdir(parents=True, mode=0o700)
    home.role_file().symlink_to(target)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert parse_credentials(result.stdout)["AccessKeyId"] != "ASIAOLD"
    assert "symbolic link" in result.stderr
    assert json.loads(target.read_text()) == role_entry()
    assert not home.role_file().is_symlink()


def test_directory_as_role_file(home, emulator):
    home.seed_token(emulator)
    home.role_file().mkdir(parents=True)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "Could not cache the role credentials" in result.stderr
    assert no_temporary_files(home.role_cache)


@needs_root
def test_foreign_token_file_refused(home, emulator):
    home.seed_token(emulator)
    os.chown(home.token_file(), OTHER_UID, OTHER_UID)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 3
    assert f"owned by user id {OTHER_UID}" in result.stderr
    assert home.token_file().stat().st_uid == OTHER_UID


@needs_root
def test_foreign_role_file_refetched(home, emulator):
    home.seed_token(emulator)
    home.write_json(home.role_file(), role_entry())
    os.chown(home.role_file(), OTHER_UID, OTHER_UID)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert parse_credentials(result.stdout)["AccessKeyId"] != "ASIAOLD"
    assert home.role_file().stat().st_uid == 0


@needs_root
def test_read_only_role_cache(home, emulator, immutable):
    home.seed_token(emulator)
    home.role_cache.mkdir(parents=True, mode=0o700)
    immutable(home.role_cache)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "Could not cache the role credentials" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(home.role_cache.iterdir()) == []


@needs_root
def test_replace_fails_with_eperm(home, emulator, immutable):
    home.seed_token(emulator)
    home.write_json(home.role_file(), role_entry(expiration="2020-01-01T00:00:00Z"))
    before = home.role_file().read_bytes()
    immutable(home.role_file())
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "Operation not permitted" in result.stderr
    assert home.role_file().read_bytes() == before
    assert no_temporary_files(home.role_cache)


@needs_root
def test_read_only_token_cache_refresh(home, emulator, immutable):
    home.seed_token(emulator, expires_in=-60)
    immutable(home.sso_cache)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "could not cache it" in result.stderr
    assert no_temporary_files(home.sso_cache)


@needs_root
def test_read_only_token_cache_keeps_session(home, emulator, immutable):
    # A refresh would rotate the refresh token, and the new one could not be
    # saved: the still-valid token is used instead, so the session survives.
    record = home.seed_token(emulator, expires_in=300)
    immutable(home.sso_cache)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "Not refreshing the SSO token" in result.stderr
    assert emulator.calls["CreateToken:refresh_token"] == 0
    assert emulator.calls["GetRoleCredentials"] == 1
    assert home.read_json(home.token_file()) == record


@needs_root
def test_read_only_lock_directory(home, emulator, immutable):
    home.seed_token(emulator)
    state = home.aws / "sso-credential-process"
    state.mkdir(mode=0o700)
    immutable(state)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "continuing without the lock" in result.stderr


@needs_root
def test_full_role_cache_directory(home, emulator, small_mount):
    home.seed_token(emulator)
    fill(small_mount(home.role_cache))
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "No space left on device" in result.stderr
    assert no_temporary_files(home.role_cache)
    assert not home.role_file().exists()


@needs_root
def test_full_token_cache_keeps_old_file(home, emulator, small_mount):
    small_mount(home.sso_cache)
    record = home.seed_token(emulator, expires_in=-60)
    fill(home.sso_cache)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert "No space left on device" in result.stderr
    assert home.read_json(home.token_file()) == record
    assert no_temporary_files(home.sso_cache)


def test_loose_directory_warned_not_changed(home, emulator):
    home.seed_token(emulator)
    home.role_cache.mkdir(parents=True, mode=0o700)
    home.role_cache.chmod(0o777)
    result = home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    assert "can be written by other users" in result.stderr
    assert home.role_cache.stat().st_mode & 0o777 == 0o777
