"""The token file, the bind rule, TLS on both faces, and `cuebridge serve` turning them on."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import ssl
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import grpc
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cuebridge.app.commands.common import EXIT_ENGINE
from cuebridge.app.host import start_server
from cuebridge.app.main import main
from cuebridge.bridge.http_gateway import start_http_gateway, tls_context
from cuebridge.bridge.security import (
    SecurityError,
    authorized_channel,
    check_bind,
    config_dir,
    load_or_create_token,
    token_path,
)
from cuebridge.v1 import engine_pb2
from cuebridge.v1 import engine_pb2_grpc as pb_grpc
from tests.http.conftest import Secured

ROOT = Path(__file__).resolve().parents[2]


# -- the token file -------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_token_file_is_private_and_stable(tmp_path, monkeypatch):
    monkeypatch.setenv("CUEBRIDGE_CONFIG_DIR", str(tmp_path / "conf"))
    assert token_path() == tmp_path / "conf" / "token"
    first = load_or_create_token()
    assert len(first) >= 43 and first == token_path().read_text().strip()
    assert _mode(token_path()) == 0o600 and _mode(token_path().parent) == 0o700
    assert load_or_create_token() == first == load_or_create_token(token_path())
    assert [p.name for p in token_path().parent.iterdir()] == ["token"]  # no scratch files left
    # A copy that loosened the mode is tightened again, and keeps its token.
    os.chmod(token_path(), 0o644)
    assert load_or_create_token() == first and _mode(token_path()) == 0o600


def test_racing_processes_share_one_token(tmp_path):
    path = tmp_path / "race" / "token"
    tokens: list[str] = []
    threads = [
        threading.Thread(target=lambda: tokens.append(load_or_create_token(path))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tokens) == 8 and len(set(tokens)) == 1


def test_damaged_token_file_names_the_file(tmp_path):
    path = tmp_path / "token"
    path.write_text("\n")
    with pytest.raises(SecurityError, match="delete it") as refused:
        load_or_create_token(path)
    assert str(path) in str(refused.value)


def test_config_dir_rule(monkeypatch, tmp_path):
    monkeypatch.delenv("CUEBRIDGE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert config_dir() == tmp_path / "xdg" / "cuebridge"
        monkeypatch.delenv("XDG_CONFIG_HOME")
        assert config_dir() == Path.home() / ".config" / "cuebridge"
    monkeypatch.setenv("CUEBRIDGE_CONFIG_DIR", str(tmp_path / "mine"))
    assert config_dir() == tmp_path / "mine"


# -- where we listen --------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_binds_need_nothing(host):
    check_bind(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "studio-gpu-1"])
def test_open_binds_without_tls_are_refused(host):
    with pytest.raises(SecurityError, match="--tls-cert and --tls-key"):
        check_bind(host, None)


def test_open_server_and_gateway_are_refused_without_tls(tmp_path):
    with pytest.raises(SecurityError, match="0.0.0.0"):
        start_server("0.0.0.0", 0, state_dir=tmp_path, token="t")
    with pytest.raises(SecurityError, match="--tls-cert"):
        start_http_gateway("127.0.0.1:1", "t", host="0.0.0.0", port=0)
    # Even with TLS, an open port needs the token.
    with pytest.raises(SecurityError, match="token"):
        check_bind("0.0.0.0", (tmp_path / "c.pem", tmp_path / "k.pem"), token_on=False)


def test_gateway_refuses_to_start_without_a_token(tmp_path):
    with pytest.raises(SecurityError, match="token"):
        start_server("127.0.0.1", 0, state_dir=tmp_path, http_port=0)


# -- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory) -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, as a studio would make with its own CA."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_bad_tls_files_are_named(tmp_path, self_signed):
    cert, _ = self_signed
    with pytest.raises(SecurityError, match="--tls-key"):
        tls_context((cert, tmp_path / "missing-key.pem"))
    assert tls_context(self_signed).minimum_version == ssl.TLSVersion.TLSv1_2


def test_open_bind_with_tls_serves_grpc_and_https(tmp_path, self_signed):
    cert, _ = self_signed
    token = load_or_create_token(tmp_path / "conf" / "token")
    running = start_server(
        "0.0.0.0", 0, state_dir=tmp_path / "state", token=token, http_port=0, tls=self_signed
    )
    try:
        assert running.http.url.startswith("https://")
        target = f"127.0.0.1:{running.port}"
        with authorized_channel(target, token, root_cert=cert) as channel:
            info = pb_grpc.CueEngineStub(channel).GetEngineInfo(
                engine_pb2.EngineInfoRequest(), timeout=10
            )
        assert info.default_model
        with authorized_channel(target, "wrong", root_cert=cert) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                pb_grpc.CueEngineStub(channel).GetEngineInfo(
                    engine_pb2.EngineInfoRequest(), timeout=10
                )
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        # Plain text cannot reach the TLS port.
        with authorized_channel(target, token) as channel:
            with pytest.raises(grpc.RpcError) as plain:
                pb_grpc.CueEngineStub(channel).GetEngineInfo(
                    engine_pb2.EngineInfoRequest(), timeout=5
                )
        assert plain.value.code() == grpc.StatusCode.UNAVAILABLE

        https = Secured(running, token)
        url = f"https://127.0.0.1:{running.http.port}"
        context = ssl.create_default_context(cafile=str(cert))
        reply = https.http("/cuebridge.v1.CueEngine/GetEngineInfo", {}, url=url, context=context)
        assert reply.status == 200 and reply.json()["defaultModel"] == info.default_model
        # Open binds answer any Host name (the certificate and the token guard them).
        assert https.http("/healthz", url=url, context=context).json() == {"status": "SERVING"}
        with pytest.raises(OSError):  # URLError or a dropped connection
            urllib.request.urlopen(f"http://127.0.0.1:{running.http.port}/healthz", timeout=5)
    finally:
        running.stop(0)


# -- cuebridge serve ---------------------------------------------------------------------------


def _serve(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CUEBRIDGE_CONFIG_DIR": str(tmp_path / "conf")}
    return subprocess.Popen(
        [sys.executable, "-m", "cuebridge.app", "serve", "--state-dir", str(tmp_path / "state")]
        + list(args),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_turns_security_on_by_default(tmp_path):
    process = _serve(tmp_path, "--port", "0", "--http-port", "0")
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("token file" in x for x in lines):
            line = process.stderr.readline()
            assert line, f"serve exited early: {''.join(lines)}"
            lines.append(line)
        said = "".join(lines)
        token_file = tmp_path / "conf" / "token"
        assert f"token file: {token_file}" in said
        assert _mode(token_file) == 0o600
        token = token_file.read_text().strip()
        [url] = [x.split(" on ", 1)[1].strip() for x in lines if x.startswith("HTTP/JSON on")]
        [grpc_address] = [
            x.split(" on ", 1)[1].split()[0] for x in lines if x.startswith("cuebridge serving")
        ]
        request = urllib.request.Request(
            url + "/cuebridge.v1.Bridge/GetEngineInfo",
            data=b"{}",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert json.loads(resp.read())["defaultModel"]
        with grpc.insecure_channel(grpc_address) as channel:
            with pytest.raises(grpc.RpcError) as refused:
                pb_grpc.CueEngineStub(channel).GetEngineInfo(
                    engine_pb2.EngineInfoRequest(), timeout=10
                )
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert str(token_file) in refused.value.details()

        # The CLI's --engine finds the same user's token file; another user's set-up cannot.
        runner = CliRunner()
        args = ["models", "--engine", grpc_address, "--json"]
        mine = runner.invoke(main, args, env={"CUEBRIDGE_CONFIG_DIR": str(token_file.parent)})
        assert mine.exit_code == 0, mine.output
        assert json.loads(mine.stdout)["default_model"]
        other = runner.invoke(main, args, env={"CUEBRIDGE_CONFIG_DIR": str(tmp_path / "other")})
        assert other.exit_code == EXIT_ENGINE and "token" in other.stderr
    finally:
        process.terminate()
        process.wait(30)


def test_serve_refuses_an_open_port_without_tls(tmp_path):
    process = _serve(tmp_path, "--host", "0.0.0.0", "--port", "0", "--no-http")
    _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "--tls-cert" in err and "0.0.0.0" in err


def test_a_bridge_scores_through_a_remote_engine_that_serves_tls(
    tmp_path, self_signed, demo24, monkeypatch
):
    """A studio's GPU engine listens beyond loopback with TLS; a local bridge reaches it with
    the engine's certificate (--engine-ca) and its token, and scores the demo."""
    from cuebridge.v1 import bridge_pb2 as bpb
    from cuebridge.v1 import bridge_pb2_grpc as bpb_grpc
    from tests.integration.helpers import run_score

    cert, _ = self_signed
    token = load_or_create_token(tmp_path / "conf" / "token")
    engine = start_server("0.0.0.0", 0, state_dir=tmp_path / "engine", token=token, tls=self_signed)
    monkeypatch.setenv("CUEBRIDGE_ENGINE_TOKEN", token)
    bridge = start_server("127.0.0.1", 0, engine_target=f"127.0.0.1:{engine.port}", engine_ca=cert)
    try:
        with grpc.insecure_channel(bridge.address) as channel:
            job, _ = run_score(
                bpb_grpc.BridgeStub(channel),
                bpb.ScoreRequest(
                    timeline_path=str(demo24.timeline_path), output_path=str(tmp_path / "s.otio")
                ),
            )
        assert job.state == engine_pb2.JOB_STATE_SUCCEEDED, job.message
        assert len(job.result.placements) == len(demo24.markers)
    finally:
        bridge.stop(0)
        engine.stop(0)
