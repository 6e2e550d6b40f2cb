"""Probes of the machine for a login: display, browser, notifier, SSH, container.

Every probe of the environment that decides how to reach the person lives here, so
the login flows only ask questions ("can a browser open on this screen?") and tests
can answer them with a plain dict and a scratch directory.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys

from .errors import ConfigError

log = logging.getLogger(__name__)

AUTHORIZATION_CODE = "authorization_code"
DEVICE_CODE = "device_code"
LOGIN_METHODS = (DEVICE_CODE, AUTHORIZATION_CODE)

# Files that container runtimes create: Docker, and Podman/Buildah.
CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")
# The Windows browser bridges that WSL distributions ship (wslu's wslview).
WSL_BROWSER_BRIDGES = ("wslview",)
NOTIFIERS = ("notify-send", "osascript")


class Environment:
    """Facts about the current process's surroundings, from ``environ`` and files.

    ``root`` prefixes every file probed, so that tests can build a fake ``/proc``.
    """

    def __init__(self, environ=None, platform=None, root: str = ""):
        self.environ = os.environ if environ is None else environ
        self.platform = sys.platform if platform is None else platform
        self.root = root

    def _exists(self, path: str) -> bool:
        return os.path.exists(self.root + path)

    def _read(self, path: str) -> str:
        try:
            with open(self.root + path, encoding="utf-8", errors="replace") as stream:
                return stream.read(65536)
        except OSError:
            return ""

    def which(self, name: str):
        return shutil.which(name, path=self.environ.get("PATH"))

    @property
    def is_desktop_platform(self) -> bool:
        # macOS and Windows always have a window system for the logged-in user.
        return self.platform in ("darwin", "win32")

    @property
    def is_ssh(self) -> bool:
        return bool(self.environ.get("SSH_CONNECTION") or self.environ.get("SSH_TTY"))

    @property
    def is_container(self) -> bool:
        if self.environ.get("container"):  # systemd-nspawn, Podman, Flatpak
            return True
        if any(self._exists(marker) for marker in CONTAINER_MARKERS):
            return True
        cgroups = self._read("/proc/1/cgroup")
        return any(word in cgroups for word in ("docker", "kubepods", "containerd"))

    @property
    def is_wsl(self) -> bool:
        if self.platform != "linux":
            return False
        if self.environ.get("WSL_DISTRO_NAME"):
            return True
        return "microsoft" in self._read("/proc/version").lower()

    @property
    def has_wsl_browser_bridge(self) -> bool:
        browser = os.path.basename(self.environ.get("BROWSER", "").split(" ")[0])
        if browser in WSL_BROWSER_BRIDGES:
            return True
        return any(self.which(name) for name in WSL_BROWSER_BRIDGES)

    @property
    def has_display(self) -> bool:
        if self.is_desktop_platform:
            return True
        return bool(self.environ.get("DISPLAY") or self.environ.get("WAYLAND_DISPLAY"))

    @property
    def is_desktop(self) -> bool:
        """Return whether a browser opened here shows up in front of the person.

        Over SSH the display (even a forwarded one) is usually not where the person
        looks. In a container the browser runs in the container, not on the host.
        """
        if self.is_ssh or self.is_container:
            return False
        if self.is_wsl:
            return self.has_wsl_browser_bridge
        return self.has_display

    def browser_available(self) -> bool:
        """Return whether opening a graphical browser is worth one attempt.

        An explicit ``BROWSER`` is the person's own choice of opener and is trusted
        even on a headless machine (``BROWSER=wslview``, a script). The opener
        itself never starts a text-mode browser in the terminal.
        """
        if self.environ.get("SSO_CREDENTIAL_PROCESS_NO_BROWSER"):
            return False
        if self.environ.get("BROWSER"):
            return True
        return self.is_desktop

    def notifier(self):
        """Return the path of a desktop notification command, or None.

        Containers are not excluded: toolbox and distrobox containers share the
        user's display and session bus, and elsewhere notify-send is seldom there.
        """
        if self.is_ssh:
            return None
        if self.platform == "darwin":
            return self.which("osascript")
        if not self.has_display:
            return None
        return self.which("notify-send")


def current() -> Environment:
    return Environment()


def login_method(settings, use_device_code: bool, environment=None) -> str:
    """Choose the OAuth grant for a login of ``settings``.

    ``--use-device-code`` wins, then ``sso_login_method`` of the sso-session, then
    the environment: the authorization-code grant with PKCE needs the browser and
    the loopback callback on this machine, so it is chosen only on a desktop.
    Profiles that set ``sso_start_url`` directly use the device code, as in the
    AWS CLI v2, which offers PKCE only for sso-session profiles.
    """
    if use_device_code:
        return DEVICE_CODE
    configured = (settings.login_method or "").strip()
    if configured:
        if configured not in LOGIN_METHODS:
            raise ConfigError(
                f'The sso_login_method "{configured}" for {settings.description} in '
                f"{settings.config_path} is invalid. Use device_code or "
                "authorization_code."
            )
        return configured
    if not settings.session_name:
        return DEVICE_CODE
    environment = environment or current()
    if environment.is_desktop and environment.browser_available():
        return AUTHORIZATION_CODE
    log.info("Using the device code login: no local desktop browser (SSH, container, "
             "WSL without wslview, or no display)")
    return DEVICE_CODE
