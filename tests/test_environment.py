"""Choosing the login method and the browser from the environment."""

import sys

import pytest

from credential_process import environment
from credential_process.config import SsoSettings
from credential_process.environment import AUTHORIZATION_CODE, DEVICE_CODE, Environment

SESSION = SsoSettings(session_name="my-sso", start_url="https://example.awsapps.com/start",
                      sso_region="us-east-1", config_path="config")
LEGACY = SsoSettings(start_url="https://example.awsapps.com/start",
                     sso_region="us-east-1", config_path="config")


def fake_root(tmp_path, proc_version="Linux version 6.1", cgroup="0::/\n",
              markers=()):
    (tmp_path / "proc" / "1").mkdir(parents=True)
    (tmp_path / "proc" / "version").write_text(proc_version)
    (tmp_path / "proc" / "1" / "cgroup").write_text(cgroup)
    for marker in markers:
        (tmp_path / marker.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / marker.lstrip("/")).write_text("")
    return str(tmp_path)


def choose(tmp_path, environ, platform="linux", settings=SESSION, **root):
    probe = Environment(dict(environ, PATH=str(tmp_path / "bin")), platform,
                        fake_root(tmp_path, **root))
    return environment.login_method(settings, False, probe)


CASES = [
    ("linux desktop", {"DISPLAY": ":0"}, "linux", {}, AUTHORIZATION_CODE),
    ("wayland desktop", {"WAYLAND_DISPLAY": "wayland-0"}, "linux", {},
     AUTHORIZATION_CODE),
    ("no display", {}, "linux", {}, DEVICE_CODE),
    ("ssh with display", {"DISPLAY": ":0", "SSH_CONNECTION": "a 1 b 2"}, "linux", {},
     DEVICE_CODE),
    ("ssh tty on macOS", {"SSH_TTY": "/dev/pts/1"}, "darwin", {}, DEVICE_CODE),
    ("macOS", {}, "darwin", {}, AUTHORIZATION_CODE),
    ("windows", {}, "win32", {}, AUTHORIZATION_CODE),
    ("docker", {"DISPLAY": ":0"}, "linux", {"markers": ["/.dockerenv"]},
     DEVICE_CODE),
    ("podman", {"DISPLAY": ":0"}, "linux", {"markers": ["/run/.containerenv"]},
     DEVICE_CODE),
    ("kubernetes cgroup", {"DISPLAY": ":0"}, "linux",
     {"cgroup": "0::/kubepods/pod1\n"}, DEVICE_CODE),
    ("wsl without bridge", {"DISPLAY": ":0"}, "linux",
     {"proc_version": "Linux 5.15-microsoft-standard-WSL2"}, DEVICE_CODE),
    ("wsl with wslview", {"BROWSER": "wslview"}, "linux",
     {"proc_version": "Linux 5.15-microsoft-standard-WSL2"}, AUTHORIZATION_CODE),
]


@pytest.mark.parametrize("label,environ,platform,root,expected", CASES,
                         ids=[case[0] for case in CASES])
def test_method_by_environment(tmp_path, label, environ, platform, root, expected):
    assert choose(tmp_path, environ, platform, **root) == expected


def test_legacy_profile_device_code(tmp_path):
    assert choose(tmp_path, {"DISPLAY": ":0"}, settings=LEGACY) == DEVICE_CODE


def test_config_overrides_environment(tmp_path):
    settings = SsoSettings(session_name="s", start_url="https://x", sso_region="r",
                           login_method="authorization_code", config_path="c")
    assert choose(tmp_path, {"SSH_CONNECTION": "a 1 b 2"}, settings=settings) == \
        AUTHORIZATION_CODE


def test_flag_overrides_config():
    settings = SsoSettings(session_name="s", login_method="authorization_code")
    assert environment.login_method(settings, True) == DEVICE_CODE


def test_notifier_needs_display(tmp_path):
    (tmp_path / "bin").mkdir()
    notifier = tmp_path / "bin" / "notify-send"
    notifier.write_text("#!/bin/sh\n")
    notifier.chmod(0o755)
    with_display = Environment({"PATH": str(tmp_path / "bin"), "DISPLAY": ":0"},
                               "linux", fake_root(tmp_path))
    headless = Environment({"PATH": str(tmp_path / "bin")}, "linux", str(tmp_path))
    assert with_display.notifier() == str(notifier)
    assert headless.notifier() is None


def test_console_browser_not_started(home, emulator, tmp_path):
    (tmp_path / "bin").mkdir()
    started = tmp_path / "lynx-started"
    lynx = tmp_path / "bin" / "lynx"
    lynx.write_text(f"#!{sys.executable}\nopen({str(started)!r}, 'w').write('x')\n")
    lynx.chmod(0o755)
    result = home.run(["login", "--profile", "dev-sso", "--use-device-code"],
                      extra_env={"BROWSER": "lynx",
                                 "PATH": f"{tmp_path / 'bin'}:{home.env['PATH']}"})
    assert result.returncode == 0, result.stderr
    assert not started.exists()
