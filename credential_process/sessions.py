"""The SSO sessions a config file defines, and the cache files that belong to them.

A session is an ``[sso-session NAME]`` section, or a start URL that profiles set
directly with ``sso_start_url`` (a legacy session, whose token file is keyed by
the URL). Its role-credential cache files are found two ways: the index this tool
writes (``roleindex``) and the account/role pairs the config names for it.
"""

from __future__ import annotations

import os
import shlex

from . import cachefiles, config, roleindex, timeutil, tokencache
from .config import SsoSettings


class Session:
    """One SSO session: its settings and where its files are."""

    def __init__(self, settings: SsoSettings, in_config: bool = True):
        self.settings = settings
        self.in_config = in_config

    @property
    def name(self):
        return self.settings.session_name

    @property
    def label(self) -> str:
        return self.settings.description

    @property
    def token_path(self) -> str:
        return tokencache.token_path(self.settings)

    @property
    def token_key(self) -> str:
        """Return the token file's key, which also names its role index."""
        return os.path.basename(self.token_path)[: -len(".json")]


def _session_settings(config_file, name: str, values: dict) -> SsoSettings:
    return SsoSettings(
        session_name=name,
        start_url=values.get("sso_start_url"),
        sso_region=values.get("sso_region"),
        registration_scopes=config.parse_registration_scopes(
            values.get("sso_registration_scopes")
        ),
        login_method=values.get("sso_login_method"),
        config_path=config_file.path,
    )


def configured_sessions(config_file) -> list:
    """Return the [sso-session] sections and the legacy start URLs, in file order."""
    found = [
        Session(_session_settings(config_file, name, values))
        for name, values in config_file.sso_sessions.items()
    ]
    seen_urls = set()
    for profile, values in config_file.profiles.items():
        url = values.get("sso_start_url")
        if values.get("sso_session") or not url or url in seen_urls:
            continue
        seen_urls.add(url)
        settings = _session_settings(config_file, None, values)
        settings.profile_name = profile
        found.append(Session(settings))
    return found


def find_session(config_file, name: str):
    for session in configured_sessions(config_file):
        if session.name == name:
            return session
    return None


def cached_tokens(known_paths) -> list:
    """Return Sessions for token files in the cache that no config session owns.

    Only files with ``startUrl`` and ``accessToken`` count: the directory also
    contains client registrations and files of other tools.
    """
    directory = cachefiles.sso_cache_directory()
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    found = []
    for name in names:
        path = os.path.join(directory, name)
        if not name.endswith(".json") or path in known_paths:
            continue
        try:
            record = cachefiles.read_json(path)
        except cachefiles.CacheReadError:
            continue
        if not (isinstance(record, dict) and isinstance(record.get("accessToken"), str)
                and isinstance(record.get("startUrl"), str)):
            continue
        settings = SsoSettings(start_url=record["startUrl"],
                               sso_region=record.get("region"))
        session = UnknownSession(settings, path)
        found.append(session)
    return found


class UnknownSession(Session):
    """A token file whose session name is unknown: its file name is a hash."""

    def __init__(self, settings: SsoSettings, path: str):
        super().__init__(settings, in_config=False)
        self._path = path

    @property
    def label(self) -> str:
        return f"the token for {self.settings.start_url} (not in the config)"

    @property
    def token_path(self) -> str:
        return self._path


def load_token(session: Session):
    """Return the Token in the session's file, or None."""
    record = cachefiles.read_cache_file(session.token_path, "SSO token")
    if not isinstance(record, dict) or not isinstance(record.get("accessToken"), str):
        return None
    return tokencache.Token(record, session.token_path)


def role_pairs(config_file, session: Session) -> set:
    """Return the (account id, role name) pairs the config names for ``session``."""
    pairs = set()
    for values in config_file.profiles.values():
        if _profile_session_matches(values, session):
            account, role = values.get("sso_account_id"), values.get("sso_role_name")
            if account and role:
                pairs.add((account, role))
        pair = _credential_process_pair(config_file, values.get("credential_process"),
                                        session)
        if pair:
            pairs.add(pair)
    return pairs


def _profile_session_matches(values: dict, session: Session) -> bool:
    if session.name:
        return values.get("sso_session") == session.name
    return (not values.get("sso_session")
            and values.get("sso_start_url") == session.settings.start_url)


def tool_options(line):
    """Return the options of a credential_process line that runs this tool, or None."""
    if not line:
        return None
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    if not _runs_this_tool(words):
        return None
    options = {}
    for index, word in enumerate(words):
        name, separator, value = word.partition("=")
        if not name.startswith("--"):
            continue
        if not separator and index + 1 < len(words):
            value = words[index + 1]
        options[name[2:].replace("-", "_")] = value
    return options


def _runs_this_tool(words) -> bool:
    if not words:
        return False
    if os.path.basename(words[0]).startswith("sso-credential-process"):
        return True
    # python -m credential_process
    return words[1:3] == ["-m", "credential_process"]


def _credential_process_pair(config_file, line, session: Session):
    options = tool_options(line)
    if not options:
        return None
    values = {}
    profile = options.get("profile")
    if profile and profile in config_file.profiles:
        values = dict(config_file.profiles[profile])
    session_name = options.get("sso_session") or values.get("sso_session")
    start_url = options.get("start_url") or values.get("sso_start_url")
    if session.name:
        if session_name != session.name:
            return None
    elif session_name or start_url != session.settings.start_url:
        return None
    account = options.get("account_id") or values.get("sso_account_id")
    role = options.get("role_name") or values.get("sso_role_name")
    return (account, role) if account and role else None


def role_cache_files(config_file, session: Session) -> list:
    """Return [{"accountId", "roleName", "path"}] for the session's cached roles.

    Only files that exist and hold ``ProviderType: sso`` are listed, so callers
    that delete them never touch another provider's entry.
    """
    candidates = {}
    for key, document in roleindex.entries(session.token_key).items():
        candidates[key] = (document.get("accountId"), document.get("roleName"))
    if session.in_config:
        for account, role in role_pairs(config_file, session):
            key = cachefiles.role_cache_key(account, role, session.name,
                                            session.settings.start_url)
            candidates[key] = (account, role)
    found = []
    for key, (account, role) in sorted(candidates.items(),
                                       key=lambda item: str(item[1])):
        path = cachefiles.cache_path(cachefiles.role_cache_directory(), key)
        document = cachefiles.read_cache_file(path, "role credentials")
        if not isinstance(document, dict) or document.get("ProviderType") != "sso":
            continue
        credentials = document.get("Credentials") or {}
        expiration = credentials.get("Expiration") if isinstance(credentials, dict) \
            else None
        found.append({"accountId": account, "roleName": role, "path": path,
                      "expiresAt": timeutil.parse_timestamp(expiration)})
    return found
