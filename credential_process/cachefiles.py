"""Cache file names, safe reads and atomic writes for the AWS CLI's JSON caches.

File names and contents follow the AWS CLI v2 and botocore so that ``aws sso
login``, boto3 and this tool share one login:

* SSO token: ``~/.aws/sso/cache/<sha1(session name or start URL)>.json``.
* Client registration: ``~/.aws/sso/cache/<sha1(json.dumps(key, sort_keys=True))>.json``
  with the default ``", "`` and ``": "`` separators.
* Role credentials: ``~/.aws/cli/cache/<sha1(compact sorted JSON)>.json``.

Only the standard library is imported, because a cache hit reads these files.
"""

from __future__ import annotations

import errno
import os

from . import lazyjson

try:  # The builtin module avoids loading OpenSSL, which costs milliseconds.
    from _sha1 import sha1
except ImportError:  # pragma: no cover - CPython builds without _sha1
    from hashlib import sha1

# Anything larger is not a cache file this tool or the AWS CLI wrote.
MAX_CACHE_FILE_BYTES = 1 << 20

# A temporary file this old was left by a writer that died before its rename.
STALE_TEMPORARY_FILE_SECONDS = 60


class CacheReadError(Exception):
    """A cache file exists but cannot be used; the message says why."""


class CacheWriteError(Exception):
    """A cache file could not be written; the previous file is left intact."""


def _warn(message: str, *arguments) -> None:
    # logging is imported only when there is something to say: a cache hit has not.
    import logging

    logging.getLogger(__name__).warning(message, *arguments)


def home_directory() -> str:
    return os.path.expanduser("~")


def sso_cache_directory() -> str:
    return os.path.join(home_directory(), ".aws", "sso", "cache")


def role_cache_directory() -> str:
    return os.path.join(home_directory(), ".aws", "cli", "cache")


def state_directory() -> str:
    """Return this tool's own directory for lock files, outside the CLI's caches."""
    override = os.environ.get("SSO_CREDENTIAL_PROCESS_STATE_DIR")
    if override:
        return os.path.expanduser(override)
    return os.path.join(home_directory(), ".aws", "sso-credential-process")


def _sha1_hex(text: str) -> str:
    return sha1(text.encode("utf-8")).hexdigest()


def token_cache_key(cache_identity: str) -> str:
    """Return the token file's key: SHA-1 of the session name or the start URL."""
    return _sha1_hex(cache_identity)


def registration_cache_key(start_url, region, scopes, session_name) -> str:
    """Return the AWS CLI v2 client-registration key (spaced JSON, sorted keys)."""
    key = {
        "tool": "botocore",
        "startUrl": start_url,
        "region": region,
        "scopes": scopes,
        "session_name": session_name,
    }
    import json

    return _sha1_hex(json.dumps(key, sort_keys=True))


def role_cache_key(account_id, role_name, session_name, start_url) -> str:
    """Return the AWS CLI v2 role-credential key (compact JSON, sorted keys)."""
    key = {"accountId": account_id, "roleName": role_name}
    if session_name:
        key["sessionName"] = session_name
    else:
        key["startUrl"] = start_url
    return _sha1_hex(lazyjson.dumps_object(key, separators=(",", ":"), sort_keys=True))


def cache_path(directory: str, key: str) -> str:
    return os.path.join(directory, key + ".json")


def read_json(path: str):
    """Return the JSON object in ``path``, None if there is no file.

    Raises CacheReadError for anything that is not a regular file owned by this
    user holding one JSON object: a symlink, another user's file, an empty,
    truncated or oversized file, or trailing bytes after the object.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise CacheReadError("it is a symbolic link") from None
        raise CacheReadError(error.strerror or str(error)) from None
    try:
        # Checked on the descriptor before reading: a directory or a FIFO in the
        # file's place must not block or fail the read.
        _check_owner_and_type(os.fstat(descriptor))
        data = _read_at_most(descriptor, MAX_CACHE_FILE_BYTES + 1)
    except OSError as error:
        raise CacheReadError(error.strerror or str(error)) from None
    finally:
        os.close(descriptor)
    if len(data) > MAX_CACHE_FILE_BYTES:
        raise CacheReadError(f"it is larger than {MAX_CACHE_FILE_BYTES} bytes")
    if not data.strip():
        raise CacheReadError("it is empty")
    try:
        document = lazyjson.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CacheReadError("it is not UTF-8 text") from None
    except ValueError as error:
        raise CacheReadError(f"it is not valid JSON ({error})") from None
    except RecursionError:
        raise CacheReadError("it nests JSON too deeply") from None
    if not isinstance(document, dict):
        raise CacheReadError("it does not contain a JSON object")
    return document


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks = []
    size = 0
    while size < limit:
        chunk = os.read(descriptor, min(1 << 16, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _check_owner_and_type(status) -> None:
    import stat

    if not stat.S_ISREG(status.st_mode):
        raise CacheReadError("it is not a regular file")
    getuid = getattr(os, "getuid", None)
    if getuid is not None and status.st_uid != getuid():
        raise CacheReadError(
            f"it is owned by user id {status.st_uid}, not by this user; another "
            "user could have planted it"
        )


_WARNED_FILES = set()


def read_cache_file(path: str, kind: str):
    """Return the JSON object in ``path``, or None with a warning if it is unusable.

    The cache is read again after a lock is taken, so each file's problem is
    reported once per process, not once per read.
    """
    try:
        return read_json(path)
    except CacheReadError as error:
        warn_once(
            (path, str(error)), "Ignoring the %s cache file %s because %s.", kind,
            path, error,
        )
        return None


def warn_once(key, message: str, *arguments) -> None:
    """Log a warning unless one with the same ``key`` was logged in this process."""
    if key not in _WARNED_FILES:
        _WARNED_FILES.add(key)
        _warn(message, *arguments)


def ensure_directory(path: str) -> None:
    """Create ``path`` and missing parents with mode 0700, whatever the umask.

    Existing directories keep their mode, because ``~/.aws`` and its caches belong
    to the AWS CLI too; a directory others can write to gets a warning.
    """
    missing = []
    current = path
    while not os.path.isdir(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            continue
        except OSError as error:
            raise CacheWriteError(
                f"cannot create the directory {directory}: {error.strerror}"
            ) from None
        os.chmod(directory, 0o700)
    if not missing:
        _warn_if_loose(path)


_WARNED_DIRECTORIES = set()


def _warn_if_loose(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if mode & 0o022 and path not in _WARNED_DIRECTORIES:
        _WARNED_DIRECTORIES.add(path)
        _warn(
            "The cache directory %s can be written by other users (mode %o); "
            "run: chmod 700 %s",
            path,
            mode & 0o777,
            path,
        )


def write_json_atomic(path: str, document: dict) -> None:
    """Write ``document`` to ``path`` so readers see the old file or the new one.

    The content goes to a 0600 temporary file in the same directory, is flushed to
    disk, and is renamed over the target; a crash at any point leaves the previous
    file whole. Raises CacheWriteError and leaves no temporary file behind.
    """
    import json
    import tempfile

    directory = os.path.dirname(path)
    ensure_directory(directory)
    _remove_stale_temporary_files(path)
    # Same serialisation as botocore's JSONFileCache: default separators, no newline.
    data = json.dumps(document).encode("utf-8")
    prefix = "." + os.path.basename(path) + "."
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=prefix, suffix=".tmp", dir=directory
        )
    except OSError as error:
        raise CacheWriteError(f"cannot create a file in {directory}: {error.strerror}")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        pause_point("before-rename", os.path.basename(path))
        os.replace(temporary, path)
    except OSError as error:
        _remove_quietly(temporary)
        raise CacheWriteError(f"cannot write {path}: {error.strerror}") from None
    except BaseException:
        _remove_quietly(temporary)
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _remove_stale_temporary_files(path: str) -> None:
    """Delete temporary files of ``path`` left by writers killed before the rename."""
    import time

    directory, name = os.path.split(path)
    prefix = "." + name + "."
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    limit = time.time() - STALE_TEMPORARY_FILE_SECONDS
    for entry in entries:
        if not (entry.startswith(prefix) and entry.endswith(".tmp")):
            continue
        candidate = os.path.join(directory, entry)
        try:
            if os.lstat(candidate).st_mtime < limit:
                os.unlink(candidate)
        except OSError:
            continue


# Crash tests set this to a point name ("before-rename", "after-refresh") or to
# "before-rename:<file name>". The process then writes the point name to stderr and
# sleeps there, so the test can SIGKILL it at exactly that step. Unset, it costs one
# environment lookup.
PAUSE_VARIABLE = "SSO_CREDENTIAL_PROCESS_TEST_PAUSE_AT"
PAUSE_SECONDS = 120


def pause_point(name: str, detail: str = "") -> None:
    """Sleep at the point ``name`` when the crash-test variable names it."""
    wanted = os.environ.get(PAUSE_VARIABLE)
    if not wanted or wanted not in (name, f"{name}:{detail}"):
        return
    import time

    os.write(2, f"sso-credential-process: paused at {wanted}\n".encode())
    time.sleep(PAUSE_SECONDS)


def remove_file(path: str) -> bool:
    """Delete ``path``; return whether a file was removed."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True
