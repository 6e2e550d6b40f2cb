"""An index of the role-credential cache files that belong to each SSO session.

Role cache file names are SHA-1 hashes of the account, the role and the session,
so ``logout`` and ``status`` cannot tell from a name which session a file belongs
to. Whenever this tool caches role credentials it also writes a small entry here
(``<state dir>/role-index/<token key>/<role key>.json`` holding the account id and
role name), one file per role so parallel writers never rewrite each other.
"""

from __future__ import annotations

import logging
import os

from . import cachefiles

log = logging.getLogger(__name__)


def index_directory(token_key: str) -> str:
    return os.path.join(cachefiles.state_directory(), "role-index", token_key)


def record(settings, role_key: str) -> None:
    """Record that ``role_key`` contains credentials of ``settings``' session."""
    token_key = cachefiles.token_cache_key(settings.cache_identity)
    path = cachefiles.cache_path(index_directory(token_key), role_key)
    document = {"accountId": settings.account_id, "roleName": settings.role_name}
    try:
        if cachefiles.read_json(path) == document:
            return
    except cachefiles.CacheReadError:
        pass
    try:
        cachefiles.write_json_atomic(path, document)
    except cachefiles.CacheWriteError as error:
        log.debug("Could not index the role credentials: %s", error)


def entries(token_key: str) -> dict:
    """Return {role key: {"accountId", "roleName"}} indexed for a session."""
    directory = index_directory(token_key)
    try:
        names = os.listdir(directory)
    except OSError:
        return {}
    found = {}
    for name in sorted(names):
        if not name.endswith(".json") or name.startswith("."):
            continue
        document = cachefiles.read_cache_file(os.path.join(directory, name),
                                              "role index")
        if isinstance(document, dict):
            found[name[: -len(".json")]] = document
    return found


def remove(token_key: str) -> None:
    directory = index_directory(token_key)
    for role_key in entries(token_key):
        cachefiles.remove_file(cachefiles.cache_path(directory, role_key))
    try:
        os.rmdir(directory)
    except OSError:
        pass
