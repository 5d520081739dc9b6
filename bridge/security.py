"""Local security: one token per user, checked on every gRPC call, and no open port by mistake.

The token lives in a plain file under the user's config folder so that a plugin running inside an
NLE's stdlib Python (Resolve) or a UXP panel (Premiere) can find it without extra packages. A
process that can read the file is the user; a web page or another user on the machine cannot.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import secrets
import stat
import sys
import uuid
from collections import namedtuple
from pathlib import Path

import grpc

TOKEN_FILE = "token"
TOKEN_BYTES = 32
# Calls any client may make without a token: liveness probes and schema discovery reveal nothing.
OPEN_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
log = logging.getLogger(__name__)
_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}


class SecurityError(ValueError):
    """A refused set-up (an open port without TLS, a broken token file). Says what to do."""


# -- the token ----------------------------------------------------------------------------------


def config_dir() -> Path:
    """Where cuebridge keeps per-user settings; a stdlib rule plugins can repeat on their own."""
    if override := os.environ.get("CUEBRIDGE_CONFIG_DIR"):
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "cuebridge"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "cuebridge"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "cuebridge"


def token_path() -> Path:
    return config_dir() / TOKEN_FILE


def load_or_create_token(path: Path | None = None) -> str:
    """The user's token, made on first use (0600 file in a 0700 folder); the same ever after.

    Read only from a regular file, never through a symbolic link (its target would become the
    token and get our chmod) and never from a FIFO (start-up would wait forever)."""
    path = Path(path) if path is not None else token_path()
    if not os.path.lexists(path):
        _create_token(path)
    token = _read_token_file(path)
    if not token or any(c.isspace() or not c.isprintable() for c in token):
        raise SecurityError(
            f"{path}: the token file is empty or damaged — delete it and start "
            "`cuebridge serve` again to make a new one (then restart your NLE plugins)"
        )
    return token


def _read_token_file(path: Path) -> str:
    remake = "delete it and start `cuebridge serve` again to make a new one"
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if path.is_symlink():
            raise SecurityError(
                f"{path}: the token file is a symbolic link; cuebridge reads only its own "
                f"regular file — {remake}"
            ) from None
        raise SecurityError(f"{path}: cannot read the token file ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise SecurityError(
                f"{path}: the token file is not a regular file (a pipe, socket or device) — "
                f"{remake}"
            )
        if os.name == "posix" and st.st_mode & 0o077:
            # Someone loosened it (a copy, a restore): a token others could read is no secret.
            os.fchmod(fd, 0o600)
            log.warning(
                "%s: the token file was readable by others (mode %o); it is now 0600. If "
                "anyone else may have read it, delete it and restart `cuebridge serve` for a "
                "new token.",
                path,
                st.st_mode & 0o777,
            )
        return fh.read(4096).decode("ascii", errors="replace").strip()


def _create_token(path: Path) -> None:
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if os.name == "posix":
            os.chmod(folder, 0o700)  # mkdir's mode is masked by the umask
    # Write a private temporary file, then link it into place: readers never see a half-written
    # token, and when two processes race the first link wins and both read the same token.
    scratch = folder / f".{path.name}.{uuid.uuid4().hex}.tmp"
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_urlsafe(TOKEN_BYTES) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError:
            # A file system without hard links: a plain rename, which can only lose a race.
            if not path.exists():
                os.replace(scratch, path)
    finally:
        scratch.unlink(missing_ok=True)


def engine_token(target: str) -> str | None:
    """The token to send to a separate engine: $CUEBRIDGE_ENGINE_TOKEN, or on this machine the
    user's own token file (a `cuebridge serve` of the same user reads the same file)."""
    if token := os.environ.get("CUEBRIDGE_ENGINE_TOKEN", "").strip():
        return token
    host = target.rsplit(":", 1)[0] if not target.endswith("]") else target
    if is_loopback(host) and token_path().exists():
        return load_or_create_token()
    return None


def bearer_ok(header: str | None, token: str) -> bool:
    """Whether an `authorization` value carries `token` (constant-time comparison)."""
    if not header:
        return False
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(value.strip().encode(), token.encode())


def refusal_message(where: str | None = None) -> str:
    where = where or f"the token file {token_path()}"
    return (
        "missing or wrong token: send the header 'authorization: Bearer <token>' with the "
        f"token from {where} (made by `cuebridge serve`)"
    )


# -- gRPC: server side ----------------------------------------------------------------------------


def _deny_unary(message: str):
    def deny(request, context):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, message)

    return deny


class TokenInterceptor(grpc.ServerInterceptor):
    """Refuses every call without `authorization: Bearer <token>`, except health and reflection."""

    def __init__(self, token: str, where: str | None = None):
        if not token:
            raise SecurityError("an empty token would let anyone in; pass the user's token")
        self._token = token
        self._message = refusal_message(where)

    def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method or ""
        if method.startswith(OPEN_SERVICES):
            return continuation(handler_call_details)
        metadata = dict(handler_call_details.invocation_metadata or ())
        if bearer_ok(metadata.get("authorization"), self._token):
            return continuation(handler_call_details)
        handler = continuation(handler_call_details)
        deny = _deny_unary(self._message)
        # The refusal must have the same shape as the real method so gRPC can send the status.
        if handler is not None and handler.request_streaming:
            if handler.response_streaming:
                return grpc.stream_stream_rpc_method_handler(lambda it, ctx: deny(None, ctx))
            return grpc.stream_unary_rpc_method_handler(lambda it, ctx: deny(None, ctx))
        if handler is not None and handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(deny)
        return grpc.unary_unary_rpc_method_handler(deny)


def server_credentials(tls: tuple[Path, Path]) -> grpc.ServerCredentials:
    cert, key = (Path(p) for p in tls)
    return grpc.ssl_server_credentials([(_read(key, "--tls-key"), _read(cert, "--tls-cert"))])


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SecurityError(f"{path}: cannot read it ({exc.strerror}); check {option}") from exc


# -- gRPC: client side ----------------------------------------------------------------------------

_Details = namedtuple(
    "_Details", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
)


class _CallDetails(_Details, grpc.ClientCallDetails):
    pass


class _BearerInterceptor(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """Adds the token to every call: call credentials need TLS, loopback channels are plain."""

    def __init__(self, token: str):
        self._header = ("authorization", f"Bearer {token}")

    def _with_token(self, details):
        metadata = [*(details.metadata or ()), self._header]
        return _CallDetails(
            details.method,
            details.timeout,
            metadata,
            details.credentials,
            details.wait_for_ready,
            details.compression,
        )

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_token(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._with_token(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._with_token(details), requests)


class _BearerPlugin(grpc.AuthMetadataPlugin):
    def __init__(self, token: str):
        self._token = token

    def __call__(self, context, callback):
        callback((("authorization", f"Bearer {self._token}"),), None)


def authorized_channel(
    target: str,
    token: str | None,
    root_cert: Path | bytes | None = None,
    options=(),
) -> grpc.Channel:
    """A channel that sends `token` on every call; TLS when `root_cert` (PEM) is given."""
    options = list(options)
    if root_cert is not None:
        pem = root_cert if isinstance(root_cert, bytes) else _read(Path(root_cert), "root cert")
        creds = grpc.ssl_channel_credentials(root_certificates=pem)
        if token:
            creds = grpc.composite_channel_credentials(
                creds, grpc.metadata_call_credentials(_BearerPlugin(token))
            )
        return grpc.secure_channel(target, creds, options=options)
    channel = grpc.insecure_channel(target, options=options)
    return grpc.intercept_channel(channel, _BearerInterceptor(token)) if token else channel


# -- where we listen ------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve anywhere


def internal_target(server: grpc.Server, host: str, port: int, tls) -> str:
    """The address this process calls itself on (its own engine, the HTTP gateway): the port
    itself on loopback, else a private loopback port, since a self-call over TLS could not verify
    a certificate made for the public name. Call before server.start()."""
    if tls or not is_loopback(host):
        return f"127.0.0.1:{server.add_insecure_port('127.0.0.1:0')}"
    host = host.strip("[]")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_bind(host: str, tls: tuple[Path, Path] | None, token_on: bool = True) -> None:
    """Refuse to listen beyond this machine unless the port is encrypted and needs the token."""
    if is_loopback(host):
        return
    if not tls or not all(tls):
        raise SecurityError(
            f"refusing to listen on {host}: other machines could reach the engine unencrypted. "
            "Listen on 127.0.0.1 (the default), or give --tls-cert and --tls-key"
        )
    if not token_on:
        raise SecurityError(
            f"refusing to listen on {host} without a token: anyone on the network could score "
            "and read files; start it with the user's token (cuebridge serve does this)"
        )
