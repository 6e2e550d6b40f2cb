"""Logins from the credential path: terminal prompt, worker, notifications."""

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time

from conftest import SESSION, parse_credentials, tool_command
from credential_process import cachefiles
from test_authcode import PKCE_CONFIG, write_browser

CODE = re.compile(r"user_code=([A-Z0-9-]+)")


class TerminalProcess:
    """The tool with a pseudo-terminal as controlling terminal, streams piped."""

    def __init__(self, home, arguments, extra_env=None):
        self.master, slave = pty.openpty()
        slave_name = os.ttyname(slave)

        def attach_terminal():
            os.setsid()
            os.close(os.open(slave_name, os.O_RDWR))

        self.process = subprocess.Popen(
            tool_command() + list(arguments), env=dict(home.env, **(extra_env or {})),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, preexec_fn=attach_terminal,
        )
        os.close(slave)
        self.screen = b""

    def read(self, seconds=0.1) -> str:
        while select.select([self.master], [], [], seconds)[0]:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.screen += chunk
            seconds = 0.05
        return self.screen.decode(errors="replace")

    def wait_for(self, pattern, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            match = pattern.search(self.read())
            if match:
                return match
        raise AssertionError(f"{pattern.pattern!r} not on the terminal: {self.read()!r}")

    def finish(self, timeout=120):
        deadline = time.time() + timeout
        while self.process.poll() is None and time.time() < deadline:
            self.read()
        stdout, stderr = self.process.communicate(timeout=10)
        self.read()
        os.close(self.master)
        return self.process.returncode, stdout, stderr, self.screen.decode(errors="replace")


def worker_info(home):
    key = cachefiles.token_cache_key(SESSION)
    path = home.aws / "sso-credential-process" / "locks" / f"login-{key}.worker"
    return json.loads(path.read_text())


def wait_until_gone(pid, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def wait_for_file(path, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline and not path.exists():
        time.sleep(0.1)
    return path.exists()


def test_prompt_and_json_separated(home, emulator):
    emulator.approve_after_polls = 2
    terminal = TerminalProcess(home, ["--profile", "dev-sso"])
    code, stdout, stderr, screen = terminal.finish()
    assert code == 0, stderr
    parse_credentials(stdout)
    assert stderr == ""
    assert "user_code=" in screen
    assert "user_code=" not in stdout


def test_countdown_on_terminal(home, emulator):
    emulator.approve_after_polls = 2
    terminal = TerminalProcess(home, ["--profile", "dev-sso"])
    _, _, _, screen = terminal.finish()
    assert "\rWaiting for approval; the request expires in " in screen


def test_success_line_names_session(home, emulator):
    terminal = TerminalProcess(home, ["--profile", "dev-sso"])
    _, _, _, screen = terminal.finish()
    assert f'Signed in to sso-session "{SESSION}"; the session token expires at' \
        in screen


def test_killed_caller_login_completes(home, emulator):
    emulator.auto_approve = False
    terminal = TerminalProcess(home, ["--profile", "dev-sso"])
    user_code = terminal.wait_for(CODE).group(1)
    worker = worker_info(home)["pid"]
    terminal.process.send_signal(signal.SIGKILL)
    terminal.finish()
    emulator.approve(user_code)
    assert wait_for_file(home.token_file())
    assert wait_until_gone(worker)
    result = home.run(["--profile", "dev-sso", "--no-login"])
    assert result.returncode == 0, result.stderr
    assert emulator.calls["StartDeviceAuthorization"] == 1


def test_worker_exits_after_expiry(home, emulator):
    emulator.auto_approve = False
    emulator.device_code_ttl = 3
    terminal = TerminalProcess(home, ["--profile", "dev-sso"])
    terminal.wait_for(CODE)
    worker = worker_info(home)["pid"]
    code, stdout, stderr, _ = terminal.finish()
    assert code == 3
    assert stdout == ""
    assert "expired" in stderr
    assert wait_until_gone(worker)


def test_parallel_callers_one_prompt(home, emulator):
    emulator.auto_approve = False
    terminals = [TerminalProcess(home, ["--profile", "dev-sso"]) for _ in range(10)]
    deadline = time.time() + 60
    user_code = None
    while user_code is None and time.time() < deadline:
        for terminal in terminals:
            match = CODE.search(terminal.read(0.02))
            if match:
                user_code = match.group(1)
    assert user_code
    emulator.approve(user_code)
    results = [terminal.finish() for terminal in terminals]
    assert [code for code, _, _, _ in results] == [0] * 10, results[0][2]
    prompts = [screen for _, _, _, screen in results if user_code in screen]
    assert len(prompts) == 1
    assert emulator.calls["StartDeviceAuthorization"] == 1
    assert emulator.calls["GetRoleCredentials"] == 1


def test_pkce_from_credential_path(home, emulator, tmp_path):
    home.write_config(PKCE_CONFIG)
    browser = write_browser(tmp_path)
    terminal = TerminalProcess(home, ["--profile", "dev-sso"], {"BROWSER": browser})
    code, stdout, stderr, screen = terminal.finish()
    assert code == 0, stderr
    parse_credentials(stdout)
    assert "/authorize?" in screen
    assert emulator.calls["StartDeviceAuthorization"] == 0


def write_notifier(tmp_path):
    directory = tmp_path / "notifier-bin"
    directory.mkdir()
    log_file = tmp_path / "notifications.txt"
    script = directory / "notify-send"
    script.write_text(
        f"#!{sys.executable}\nimport sys\n"
        f"open({str(log_file)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(0o755)
    return directory, log_file


def test_notification_without_terminal(home, emulator, tmp_path):
    directory, log_file = write_notifier(tmp_path)
    result = home.run(["--profile", "dev-sso"], extra_env={
        "DISPLAY": ":99", "SSO_CREDENTIAL_PROCESS_NO_BROWSER": "1",
        "PATH": f"{directory}{os.pathsep}{home.env['PATH']}",
    })
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert "user_code=" in log_file.read_text()


def test_nobody_reachable_fails_fast(home, emulator):
    result = home.run(["--profile", "dev-sso"], extra_env={
        "SSO_CREDENTIAL_PROCESS_NO_BROWSER": "1"})
    assert result.returncode == 3
    assert "Login required" in result.stderr
    assert emulator.calls["RegisterClient"] == 0


def test_failed_browser_without_terminal_fails_fast(home, emulator):
    # The browser was the only way to reach the person; polling on after it failed
    # would hold the caller until the device code expires.
    emulator.auto_approve = False
    started = time.monotonic()
    result = home.run(["--profile", "dev-sso"], extra_env={"BROWSER": "/bin/false"},
                      timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 3
    assert result.stdout == ""
    assert "BROWSER" in result.stderr
    assert "Run: sso-credential-process login --sso-session my-sso" in result.stderr
    assert "Traceback" not in result.stderr
    assert emulator.calls["StartDeviceAuthorization"] == 1
    assert emulator.calls["CreateToken"] <= 1
    assert elapsed < 60


def test_ctrl_c_cancels_started_login(home, emulator):
    emulator.auto_approve = False
    terminal = TerminalProcess(home, ["--profile", "dev-sso"])
    terminal.wait_for(CODE)
    worker = worker_info(home)["pid"]
    terminal.wait_for(re.compile("Waiting for approval"))
    os.write(terminal.master, b"\x03")  # Ctrl-C: SIGINT to the foreground group.
    terminal.process.wait(timeout=30)
    assert terminal.process.returncode == 130
    # The worker's last line is on the terminal before the caller exits, so it
    # never lands after the shell's prompt.
    assert "Sign-in cancelled" in terminal.read()
    assert wait_until_gone(worker, timeout=30)
    screen_after = len(terminal.read())
    time.sleep(2)
    assert terminal.read()[screen_after:] == ""
    terminal.finish()
    assert not home.token_file().exists()
    result = home.run(["--profile", "dev-sso", "--no-login"])
    assert result.returncode == 3


def test_worker_silent_after_caller_killed(home, emulator):
    emulator.auto_approve = False
    terminal = TerminalProcess(home, ["--profile", "dev-sso"])
    user_code = terminal.wait_for(CODE).group(1)
    worker = worker_info(home)["pid"]
    terminal.wait_for(re.compile("Waiting for approval"))
    terminal.process.send_signal(signal.SIGKILL)
    terminal.process.wait(timeout=30)
    # The worker notices within a second; anything after that would draw over the
    # shell that has the terminal again.
    time.sleep(1.5)
    screen_after = len(terminal.read())
    time.sleep(2.5)
    emulator.approve(user_code)
    assert wait_for_file(home.token_file())
    assert wait_until_gone(worker)
    assert terminal.read()[screen_after:] == ""
    terminal.finish()
