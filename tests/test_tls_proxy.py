"""HTTPS endpoints: CA bundles from the environment or the profile, and proxies.

The emulator serves HTTPS with a certificate made for 127.0.0.1 by openssl, and
a CONNECT proxy on 127.0.0.1 relays the tunnel, so the tool's botocore clients
run the same TLS and proxy code they run against AWS.
"""

import shutil
import socket
import ssl
import subprocess
import threading

import pytest

from conftest import SESSION_CONFIG, Home, parse_credentials

from credential_process.emulator import Emulator

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl makes the test certificate"
)


@pytest.fixture
def certificate(tmp_path):
    """Return the path of a self-signed PEM file (key and certificate) for 127.0.0.1."""
    path = tmp_path / "emulator.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(path), "-out", str(path),
        ],
        check=True, capture_output=True,
    )
    return path


@pytest.fixture
def tls_emulator(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certificate))
    with Emulator(tls_context=context) as running:
        yield running


@pytest.fixture
def tls_home(tmp_path, tls_emulator):
    scratch = Home(tmp_path / "home", tls_emulator.url)
    scratch.write_config(SESSION_CONFIG)
    scratch.seed_token(tls_emulator)
    return scratch


class ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that records each tunnel's target."""

    def __init__(self):
        self.targets = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = "http://127.0.0.1:%d" % self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    def close(self):
        self._listener.close()

    def _accept_loop(self):
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        method, target = head.split(b" ", 2)[:2]
        host, _, port = target.decode().rpartition(":")
        self.targets.append(target.decode())
        # Only tunnels to this machine: the proxy must never reach another host.
        if method != b"CONNECT" or host != "127.0.0.1":
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            client.close()
            return
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        relays = [
            threading.Thread(target=_relay, args=(client, upstream), daemon=True),
            threading.Thread(target=_relay, args=(upstream, client), daemon=True),
        ]
        for relay in relays:
            relay.start()


def _relay(source, destination):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            destination.sendall(data)
    except OSError:
        pass
    for end in (source, destination):
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@pytest.fixture
def proxy():
    running = ConnectProxy()
    yield running
    running.close()


def test_ca_bundle_variable_trusts_endpoint(tls_home, tls_emulator, certificate):
    result = tls_home.run(["--profile", "dev-sso"],
                          extra_env={"AWS_CA_BUNDLE": str(certificate)})
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert tls_emulator.calls["GetRoleCredentials"] == 1


def test_ca_bundle_profile_key_trusts_endpoint(tls_home, tls_emulator, certificate):
    section = "[profile dev-sso]\n"
    text = tls_home.config_file.read_text()
    tls_home.config_file.write_text(
        text.replace(section, f"{section}ca_bundle = {certificate}\n")
    )
    result = tls_home.run(["--profile", "dev-sso"])
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    assert tls_emulator.calls["GetRoleCredentials"] == 1


def test_untrusted_certificate_exit_5(tls_home, tls_emulator):
    result = tls_home.run(["--profile", "dev-sso"])
    assert result.returncode == 5
    assert result.stdout == ""
    assert "certificate verification failed" in result.stderr
    assert "AWS_CA_BUNDLE" in result.stderr
    assert "Traceback" not in result.stderr
    assert tls_emulator.calls["GetRoleCredentials"] == 0


def test_https_proxy_tunnels_calls(tls_home, tls_emulator, certificate, proxy):
    tls_home.seed_token(tls_emulator, expires_in=-60)
    environment = {"AWS_CA_BUNDLE": str(certificate), "HTTPS_PROXY": proxy.url,
                   "NO_PROXY": "", "no_proxy": ""}
    result = tls_home.run(["--profile", "dev-sso"], extra_env=environment)
    assert result.returncode == 0, result.stderr
    parse_credentials(result.stdout)
    port = tls_emulator.url.rsplit(":", 1)[1]
    assert proxy.targets
    assert set(proxy.targets) == {f"127.0.0.1:{port}"}
    assert tls_emulator.calls["CreateToken:refresh_token"] == 1
    assert tls_emulator.calls["GetRoleCredentials"] == 1
