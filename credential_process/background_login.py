"""Logins from the credential path that outlive the process an SDK started.

The Go SDK kills a credential process after one minute, and a person may take
longer to approve a login. So the credential path does not run the login itself:
it starts a worker (``python -m credential_process.background_login``) in a new
session, hands it the terminal, and waits for the token file. If the caller is
killed, the worker still finishes the login and saves the token for the next run.

Locks, in the order they are taken:

* the worker lock (``login-<key>.lock``) is held by the worker for its whole life,
  so a caller can tell that a login is already on its way;
* the session lock is taken by the worker for the login itself, as any login
  takes it, so other callers wait for it there.

The caller that starts the worker holds the session lock until the worker holds
the worker lock, and every caller checks the worker lock under the session lock,
so two workers never run for one session.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import select
import signal
import subprocess
import sys
import time

from filelock import FileLock, Timeout

from . import cachefiles, environment, locking, prompt, timeutil, tokencache
from .errors import EXIT_LOGIN_REQUIRED, CredentialProcessError, LoginRequiredError

log = logging.getLogger(__name__)

# A worker starts Python and imports botocore before it reports that it is ready.
WORKER_START_SECONDS = 30
# How long a worker waits for another one that is finishing to let go.
WORKER_LOCK_WAIT_SECONDS = 10
# A caller gives up on a worker that never takes the session lock after this long.
WORKER_PENDING_SECONDS = 60
POLL_SECONDS = 0.05
# How long a cancelled worker gets to write its last line and exit.
CANCEL_WAIT_SECONDS = 3


class BackgroundLoginError(CredentialProcessError):
    """The worker's login failed; carries the worker's message and exit code."""

    def __init__(self, message: str, exit_code: int):
        super().__init__(message)
        self.exit_code = exit_code


def _paths(settings):
    key = cachefiles.token_cache_key(settings.cache_identity)
    directory = locking.lock_directory()
    cachefiles.ensure_directory(directory)
    base = os.path.join(directory, "login-" + key)
    return base + ".lock", base + ".worker", base + ".result"


def worker_pid(settings):
    """Return the pid of the running worker for ``settings``, or None."""
    lock_path, info_path, _ = _paths(settings)
    probe = FileLock(lock_path, mode=0o600)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        info = _read(info_path)
        return info.get("pid") if isinstance(info.get("pid"), int) else -1
    probe.release()
    return None


def _read(path: str) -> dict:
    try:
        document = cachefiles.read_json(path)
    except cachefiles.CacheReadError:
        return {}
    return document if isinstance(document, dict) else {}


def begin(settings, login_required_message: str):
    """Start a worker, or join the one running; return a Waiter.

    The caller holds the session lock. Raises LoginRequiredError when there is
    neither a terminal, nor a browser, nor a notifier to reach the person.
    """
    running = worker_pid(settings)
    if running is not None:
        _tell_terminal(f"A sign-in to {settings.description} is in progress (process "
                       f"{running}); waiting for it.\n")
        return Waiter(settings, running, started_here=False)

    surroundings = environment.current()
    browser = surroundings.browser_available()
    notifier = surroundings.notifier()
    terminal = prompt.open_terminal()
    if terminal is None and not browser and not notifier:
        raise LoginRequiredError(login_required_message)
    method = environment.login_method(settings, False, surroundings)
    if method == environment.AUTHORIZATION_CODE and not browser:
        method = environment.DEVICE_CODE
    try:
        pid = _start_worker(settings, method, terminal, browser, notifier)
    finally:
        if terminal is not None:
            terminal.close()
    return Waiter(settings, pid, started_here=True)


def _tell_terminal(text: str) -> None:
    terminal = prompt.open_terminal()
    if terminal is None:
        return
    try:
        terminal.write(text)
        terminal.flush()
    except OSError:
        pass
    finally:
        terminal.close()


def _start_worker(settings, method, terminal, browser: bool, notifier) -> int:
    # The worker writes one byte to this pipe once it holds the worker lock.
    ready_read, ready_write = os.pipe()
    passed = [ready_write]
    command = [
        sys.executable, "-m", __name__,
        "--settings", json.dumps(_settings_document(settings)),
        "--method", method, "--ready-fd", str(ready_write),
        "--caller-pid", str(os.getpid()),
    ]
    if terminal is not None:
        passed.append(terminal.fileno())
        command += ["--terminal-fd", str(terminal.fileno())]
    if browser:
        command.append("--browser")
    if notifier:
        command += ["--notifier", notifier]

    try:
        # Its own session: a SIGKILL or a terminal's SIGINT to the caller's
        # process group leaves it running. No inherited stdout or stderr: the
        # SDK reads those pipes until every writer has closed them.
        # Ctrl-C reaches only the caller, which then cancels the worker it started
        # (Waiter.cancel). Once the caller is gone, the worker stops writing to
        # the terminal (Prompt.show_countdown).
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, pass_fds=passed, start_new_session=True,
            cwd="/", env=_worker_environment(),
        )
    except OSError as error:
        os.close(ready_read)
        os.close(ready_write)
        raise LoginRequiredError(
            f"Unable to start the sign-in for {settings.description}: {error}. "
            f"Run sso-credential-process login {settings.login_target}."
        ) from None
    os.close(ready_write)

    try:
        ready, _, _ = select.select([ready_read], [], [], WORKER_START_SECONDS)
        ready_byte = os.read(ready_read, 1) if ready else b""
    finally:
        os.close(ready_read)
    if ready_byte != b"1":
        raise LoginRequiredError(
            f"The sign-in for {settings.description} could not start in the "
            f"background. Run sso-credential-process login {settings.login_target}."
        )
    log.info("Started the sign-in for %s in process %d", settings.description,
             process.pid)
    return process.pid


def _settings_document(settings) -> dict:
    names = ("profile_name", "session_name", "start_url", "sso_region",
             "registration_scopes", "login_method", "config_path")
    return {name: getattr(settings, name) for name in names}


def _worker_environment() -> dict:
    environ = dict(os.environ)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_parent, environ.get("PYTHONPATH")])
    )
    return environ


class Waiter:
    """A caller's view of a worker's login, used between session-lock attempts."""

    def __init__(self, settings, pid: int, started_here: bool):
        self.settings = settings
        self.pid = pid
        # Only the caller that started the worker may cancel it: a caller that
        # joined a login shown on another terminal must not end that login.
        self.started_here = started_here
        self.started = time.monotonic()

    def cancel(self) -> None:
        """Stop the worker this caller started, after a Ctrl-C in the caller.

        The caller then waits briefly for the worker to exit, so that its last line
        reaches the terminal before the shell's prompt does.
        """
        if not self.started_here or worker_pid(self.settings) != self.pid:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except OSError as error:
            log.debug("Could not stop the sign-in process %d: %s", self.pid, error)
            return
        log.info("Cancelled the sign-in for %s (process %d)",
                 self.settings.description, self.pid)
        end = time.monotonic() + CANCEL_WAIT_SECONDS
        while time.monotonic() < end:
            try:
                if os.waitpid(self.pid, os.WNOHANG)[0] == self.pid:
                    return
            except ChildProcessError:
                return  # Not this process's child: nothing to wait for.
            time.sleep(POLL_SECONDS)

    def pause(self) -> None:
        """Wait until the worker holds the session lock or has finished.

        Then the caller's next acquire of the session lock waits for the login,
        with the deadline the worker announced.
        """
        activity_path = locking.session_lock(self.settings).activity_path
        end = time.monotonic() + WORKER_PENDING_SECONDS
        while time.monotonic() < end:
            if _read(activity_path).get("pid") == self.pid:
                return
            if worker_pid(self.settings) is None:
                return
            time.sleep(POLL_SECONDS)

    def check(self, token):
        """Return this Waiter while the worker runs, then its token or its failure.

        The caller holds the session lock and found no token with more than the
        refresh window left; ``token`` is what it found. A login that issued a
        token shorter-lived than that window still counts.
        """
        if worker_pid(self.settings) is not None:
            if time.monotonic() - self.started > WORKER_PENDING_SECONDS:
                raise LoginRequiredError(
                    f"The sign-in for {self.settings.description} (process "
                    f"{self.pid}) did not start within {WORKER_PENDING_SECONDS} s. "
                    f"Run sso-credential-process login {self.settings.login_target}."
                )
            return self
        _, _, result_path = _paths(self.settings)
        result = _read(result_path)
        finished = result.get("pid") == self.pid
        if finished:
            self._report_warnings(result)
        if finished and result.get("status") == "ok" and token is not None and \
                token.is_unexpired(timeutil.now()):
            return token.access_token
        if finished and result.get("status") == "failed":
            raise BackgroundLoginError(
                str(result.get("message")), int(result.get("exitCode") or 3)
            )
        raise LoginRequiredError(
            f"The sign-in for {self.settings.description} (process {self.pid}) "
            "ended without saving a token. Run sso-credential-process login "
            f"{self.settings.login_target}."
        )

    def report_warnings(self) -> None:
        """Log the warnings of the worker's login, if it has finished."""
        _, _, result_path = _paths(self.settings)
        result = _read(result_path)
        if result.get("pid") == self.pid:
            self._report_warnings(result)

    def _report_warnings(self, result: dict) -> None:
        # Several lock attempts may read the same result; report it once.
        if getattr(self, "_reported", False):
            return
        self._reported = True
        for message in result.get("warnings") or []:
            if isinstance(message, str):
                log.warning("%s", message)


class _WarningCollector(logging.Handler):
    """Keeps the worker's warnings, which have no stderr, for the waiting callers."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        from .redact import redact

        self.messages.append(redact(record.getMessage()))


_WARNINGS = _WarningCollector()


def _write_result(path: str, status: str, message: str = "", exit_code: int = 0):
    document = {"pid": os.getpid(), "status": status, "message": message,
                "exitCode": exit_code, "finishedAt": timeutil.now(),
                "warnings": _WARNINGS.messages[-20:]}
    try:
        cachefiles.write_json_atomic(path, document)
    except cachefiles.CacheWriteError as error:
        log.debug("Could not record the sign-in result: %s", error)


def _parse_worker_arguments(argv):
    parser = argparse.ArgumentParser(prog="sso-credential-process background login")
    parser.add_argument("--settings", required=True)
    parser.add_argument("--method", choices=environment.LOGIN_METHODS, required=True)
    parser.add_argument("--ready-fd", type=int, required=True)
    parser.add_argument("--terminal-fd", type=int)
    parser.add_argument("--browser", action="store_true")
    parser.add_argument("--notifier")
    parser.add_argument("--caller-pid", type=int)
    return parser.parse_args(argv)


class _Cancelled(BaseException):
    """SIGTERM arrived: the caller that started the sign-in was interrupted."""


def _raise_cancelled(signal_number, frame):
    raise _Cancelled()


def main(argv=None) -> int:
    """Run one login as the worker; the exit code is also in the result file."""
    from .config import SsoSettings

    arguments = _parse_worker_arguments(sys.argv[1:] if argv is None else argv)
    logging.getLogger().addHandler(_WARNINGS)
    logging.getLogger().setLevel(logging.WARNING)
    settings = SsoSettings(**json.loads(arguments.settings))
    lock_path, info_path, result_path = _paths(settings)
    worker_lock = FileLock(lock_path, mode=0o600)
    try:
        worker_lock.acquire(timeout=WORKER_LOCK_WAIT_SECONDS)
    except Timeout:
        os.close(arguments.ready_fd)
        return 1
    try:
        cachefiles.write_json_atomic(info_path, {"pid": os.getpid(),
                                                 "method": arguments.method})
        os.write(arguments.ready_fd, b"1")
        os.close(arguments.ready_fd)
        stream = None
        if arguments.terminal_fd is not None:
            stream = os.fdopen(arguments.terminal_fd, "w", encoding="utf-8",
                               errors="replace")
        login_prompt = prompt.Prompt(stream, open_browser=arguments.browser,
                                     notifier=arguments.notifier,
                                     caller_pid=arguments.caller_pid)
        # SIGTERM comes from Waiter.cancel. A token that arrives just as the cancel
        # does may go unsaved, which only repeats a login the person cancelled.
        signal.signal(signal.SIGTERM, _raise_cancelled)
        try:
            return _login_locked(settings, arguments.method, login_prompt,
                                 worker_lock, result_path)
        except _Cancelled:
            message = (
                f"The sign-in for {settings.description} was cancelled. Run "
                f"sso-credential-process login {settings.login_target} to sign in."
            )
            login_prompt.end_countdown()
            login_prompt.write("Sign-in cancelled.\n")
            _write_result(result_path, "failed", message, EXIT_LOGIN_REQUIRED)
            return EXIT_LOGIN_REQUIRED
        finally:
            login_prompt.close()
    finally:
        if worker_lock.is_locked:
            worker_lock.release()


def _login_locked(settings, method, login_prompt, worker_lock, result_path) -> int:
    from .clients import ClientFactory
    from .login_flows import run_login
    from .redact import redact

    with locking.session_lock(settings) as lock:
        # Until the flow announces its own deadline, waiters size their wait by this.
        lock.announce("login", timeutil.now() + authcode_timeout())
        try:
            token = tokencache.load_token(settings)
            if token is not None and token.is_fresh(timeutil.now()):
                _write_result(result_path, "ok")
                return 0
            login_prompt.write(
                "If the program that asked for credentials stops waiting, this "
                "sign-in still completes in the background; run it again after.\n"
            )
            client = ClientFactory(settings.profile_name).create(
                "sso-oidc", settings.sso_region
            )
            run_login(method, settings, client, login_prompt, lock)
            _write_result(result_path, "ok")
            return 0
        except CredentialProcessError as error:
            message = redact(str(error))
            login_prompt.end_countdown()
            login_prompt.write(f"sso-credential-process: {message}\n")
            _write_result(result_path, "failed", message, error.exit_code)
            return error.exit_code
        except Exception as error:  # Recorded for the waiting callers.
            message = redact(
                f"unexpected error in the sign-in: {type(error).__name__}: {error}"
            )
            _write_result(result_path, "failed", message, 1)
            return 1
        finally:
            # Released before the session lock: a caller that gets the session
            # lock next finds either the token or a finished worker.
            worker_lock.release()


def authcode_timeout() -> float:
    from .authcode_flow import login_timeout

    return login_timeout()


if __name__ == "__main__":
    sys.exit(main())
