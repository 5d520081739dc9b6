"""The HTTP/JSON face of the Bridge, for plugins without HTTP/2 (Resolve's Python, UXP panels).

Every route is made from the proto descriptors and forwarded to the gRPC server over a loopback
channel that carries the token, so the gateway adds no second implementation of any method:
`POST /cuebridge.v1.Bridge/<Method>` with the request as proto3 JSON; the server-streaming
WatchScore comes back as Server-Sent Events. The standard library's threaded HTTP server is enough
for a handful of local clients and keeps the gateway free of a web framework.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import grpc
from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import MethodDescriptor
from grpc_health.v1 import health_pb2, health_pb2_grpc

from cuebridge.bridge.security import (
    SecurityError,
    authorized_channel,
    bearer_ok,
    check_bind,
    is_loopback,
    refusal_message,
)
from cuebridge.v1 import bridge_pb2, engine_pb2

log = logging.getLogger(__name__)

DEFAULT_HTTP_PORT = 50052
MAX_BODY_BYTES = 1024 * 1024
DRAIN_BYTES = 16 * MAX_BODY_BYTES  # a bigger body is cut off (the connection closes)
UNARY_TIMEOUT_S = 300.0
# What plugins may reach: the whole Bridge, and the engine's description of itself.
EXPOSED = (
    (bridge_pb2.DESCRIPTOR.services_by_name["Bridge"], None),
    (engine_pb2.DESCRIPTOR.services_by_name["CueEngine"], {"GetEngineInfo"}),
)
HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


@dataclass(frozen=True)
class Route:
    path: str  # "/cuebridge.v1.Bridge/StartScore", the gRPC method path itself
    method: MethodDescriptor
    request_class: type
    response_class: type

    @property
    def streaming(self) -> bool:
        return self.method.server_streaming


def routes() -> dict[str, Route]:
    """One route per exposed RPC, named exactly like the gRPC method."""
    table = {}
    for service, only in EXPOSED:
        for method in service.methods:
            if (only and method.name not in only) or method.client_streaming:
                continue  # client streams have no sensible HTTP/1.1 request shape
            path = f"/{service.full_name}/{method.name}"
            table[path] = Route(
                path,
                method,
                message_factory.GetMessageClass(method.input_type),
                message_factory.GetMessageClass(method.output_type),
            )
    return table


def to_json(message) -> str:
    # camelCase, every field printed (a plugin must not guess what a missing key means).
    return json_format.MessageToJson(
        message, always_print_fields_with_no_presence=True, indent=None
    )


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def grpc_error(exc: grpc.RpcError) -> HttpError:
    code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
    details = exc.details() if hasattr(exc, "details") else str(exc)
    return HttpError(HTTP_STATUS.get(code, 500), code.name, details or code.name)


# -- the request handler ----------------------------------------------------------------------


# Origins only a browser sends. "null" is an opaque origin (a sandboxed iframe, a data: URL, a
# redirect, a page opened from disk in Chromium) and file:// a page from disk: web pages, however
# local. No plugin needs them: Resolve's script and the CLI send no Origin, and the Premiere
# panel is let in by its bearer token, never by an origin that a page could also send.
_WEB_SCHEMES = ("http", "https", "file")


def _from_a_web_page(origin: str, fetch_site: str) -> bool:
    if origin == "null" or urlsplit(origin).scheme in _WEB_SCHEMES:
        return True
    return fetch_site in ("cross-site", "same-site")


class _Handler(BaseHTTPRequestHandler):
    server: _GatewayServer
    protocol_version = "HTTP/1.1"
    server_version = "cuebridge"
    timeout = 60  # an idle or stalled connection must not hold a thread forever

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            # Handshake here, in this connection's thread, so a slow client never stalls accept.
            self.connection.do_handshake()

    def version_string(self) -> str:
        return self.server_version  # no Python version for a scanner to read

    def log_message(self, fmt, *args) -> None:
        log.debug("%s %s", self.address_string(), fmt % args)

    # Every verb goes through one gate, so no method can skip the checks.
    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        # No CORS preflight is ever granted: a web page must never drive the engine.
        self._serve()

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_POST

    def _serve(self) -> None:
        self._consumed = False
        try:
            self._gate()
            path, _, query = self.path.partition("?")
            if path == "/healthz" and self.command == "GET":
                self._health()
                return
            self._authorize()
            route = self.server.routes.get(path)
            if route is None:
                raise HttpError(
                    404,
                    "NOT_FOUND",
                    f"no route {path!r}: POST /cuebridge.v1.Bridge/<Method> "
                    "(see proto/cuebridge/v1/bridge.proto)",
                )
            request = self._request(route, query)
            if route.streaming:
                self._stream(route, request)
            else:
                self._unary(route, request)
        except HttpError as exc:
            if not self._consumed and self.headers.get("Content-Length", "0").strip() != "0":
                self.close_connection = True  # an unread body must not be taken for a request
            self._send_json(exc.status, {"code": exc.code, "message": exc.message})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _gate(self) -> None:
        origin = (self.headers.get("Origin") or "").strip().lower()
        fetch_site = (self.headers.get("Sec-Fetch-Site") or "").strip().lower()
        if _from_a_web_page(origin, fetch_site):
            raise HttpError(
                403,
                "PERMISSION_DENIED",
                f"requests from web pages are refused (Origin {origin or '-'!r}, Sec-Fetch-Site "
                f"{fetch_site or '-'!r}): the cuebridge engine reads and writes your files; "
                "call it from a plugin, a script or the command line",
            )
        if self.command == "OPTIONS":
            raise HttpError(403, "PERMISSION_DENIED", "cross-origin requests are not allowed")
        if self.server.loopback_only:
            # Against DNS rebinding: a loopback gateway only answers to loopback names.
            host = (self.headers.get("Host") or "").strip()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if host and not is_loopback(name):
                raise HttpError(
                    403, "PERMISSION_DENIED", f"Host {host!r} is not this machine's loopback"
                )

    def _authorize(self) -> None:
        if not bearer_ok(self.headers.get("Authorization"), self.server.token):
            raise HttpError(401, "UNAUTHENTICATED", refusal_message(self.server.token_where))

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise HttpError(411, "INVALID_ARGUMENT", "send the body with a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise HttpError(400, "INVALID_ARGUMENT", "Content-Length is not a number") from None
        if length > MAX_BODY_BYTES:
            if length <= DRAIN_BYTES:
                # Read and drop it, so the client gets the 413 instead of a broken pipe.
                left = length
                while left > 0 and (chunk := self.rfile.read(min(65536, left))):
                    left -= len(chunk)
            raise HttpError(
                413,
                "RESOURCE_EXHAUSTED",
                f"the request body is {length} bytes; the limit is {MAX_BODY_BYTES} — send "
                "file paths, not file contents",
            )
        self._consumed = True
        return self.rfile.read(length) if length > 0 else b""

    def _request(self, route: Route, query: str):
        message = route.request_class()
        name = route.request_class.DESCRIPTOR.full_name
        try:
            if self.command == "GET" and route.streaming:
                json_format.ParseDict(dict(parse_qsl(query, keep_blank_values=True)), message)
            elif self.command == "POST":
                body = json.loads(self._body().decode("utf-8").strip() or "{}")
                if not isinstance(body, dict):
                    raise HttpError(
                        400, "INVALID_ARGUMENT", f"{route.path}: send a JSON object, a {name}"
                    )
                json_format.ParseDict(body, message)
            else:
                verbs = "GET or POST" if route.streaming else "POST"
                raise HttpError(405, "UNIMPLEMENTED", f"{route.path}: use {verbs}")
        except UnicodeDecodeError:
            raise HttpError(400, "INVALID_ARGUMENT", "the request body is not UTF-8") from None
        except RecursionError:  # json and ParseDict recurse per level: a hostile body ends here
            raise HttpError(
                400, "INVALID_ARGUMENT", f"{route.path}: the body nests too deeply; send a {name}"
            ) from None
        except json.JSONDecodeError as exc:
            problem = f"{route.path}: the body is not JSON ({exc}); send a {name}"
            raise HttpError(400, "INVALID_ARGUMENT", problem) from None
        except json_format.ParseError as exc:
            raise HttpError(
                400, "INVALID_ARGUMENT", f"{route.path}: bad {name} JSON: {exc}"
            ) from None
        return message

    def _call(self, route: Route, streaming: bool):
        make = self.server.channel.unary_stream if streaming else self.server.channel.unary_unary
        return make(
            route.path,
            request_serializer=route.request_class.SerializeToString,
            response_deserializer=route.response_class.FromString,
        )

    def _unary(self, route: Route, request) -> None:
        try:
            reply = self._call(route, False)(request, timeout=UNARY_TIMEOUT_S)
        except grpc.RpcError as exc:
            raise grpc_error(exc) from None
        self._send_raw(200, "application/json", to_json(reply).encode())

    def _resume_after(self, request) -> None:
        """An EventSource reconnecting sends the last event's id: resume the watch after it."""
        last = (self.headers.get("Last-Event-ID") or "").strip()
        if last.isdigit() and "after" in request.DESCRIPTOR.fields_by_name and not request.after:
            request.after = int(last)

    def _stream(self, route: Route, request) -> None:
        self._resume_after(request)
        call = self._call(route, True)(request)
        try:
            # The first event decides the status: a bad id is a 404, not an empty stream.
            first = next(call, None)
        except grpc.RpcError as exc:
            raise grpc_error(exc) from None
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self._safe_headers()
        self.send_header("Connection", "close")  # the end of the stream is the end of the body
        self.end_headers()
        self.close_connection = True
        try:
            events = [first] if first is not None else []
            for event in _chain(events, call):
                # The event's cursor as the SSE id: an EventSource that reconnects sends it back
                # as Last-Event-ID, and the watch resumes after it (see _resume_after).
                cursor = getattr(event, "cursor", 0)
                head = f"id: {cursor}\n" if cursor else ""
                self.wfile.write(f"{head}data: {to_json(event)}\n\n".encode())
                self.wfile.flush()
        except grpc.RpcError as exc:
            error = grpc_error(exc)
            payload = json.dumps({"code": error.code, "message": error.message})
            self._write_quietly(f"event: error\ndata: {payload}\n\n".encode())
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the client went away
        finally:
            call.cancel()

    def _health(self) -> None:
        stub = health_pb2_grpc.HealthStub(self.server.channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        except grpc.RpcError as exc:
            status = f"NOT_SERVING ({exc.code().name})"
        self._send_json(200 if status == "SERVING" else 503, {"status": status})

    # -- writing ---------------------------------------------------------------------------

    def _safe_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")

    def _send_json(self, status: int, payload: dict) -> None:
        self._send_raw(status, "application/json", json.dumps(payload).encode())

    def _send_raw(self, status: int, content_type: str, body: bytes) -> None:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Client Closed Request" if status == 499 else ""
        self.send_response(status, reason)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self._safe_headers()
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="cuebridge"')
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self._write_quietly(body)

    def _write_quietly(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True


def _chain(first: list, rest):
    yield from first
    yield from rest


# -- the server -------------------------------------------------------------------------------


# Each open connection holds a thread (up to the handler's 60 s idle timeout): 3,000 idle
# connections made 3,000 threads. Beyond these an extra connection is answered 503 and closed.
# Loopback plugins all share one address, so the per-client cap stays well above a studio's
# plugins and scripts (bench/load_server.py runs 50 at once beside 20 idle ones).
MAX_CONNECTIONS = 512
MAX_CONNECTIONS_PER_CLIENT = 128


class _GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's listen backlog is 5: a burst of plugin calls got connection resets.
    request_queue_size = socket.SOMAXCONN

    def __init__(self, address, channel: grpc.Channel, token: str, loopback_only: bool):
        self._open: dict[str, int] = {}  # open connections per client address
        self._open_lock = threading.Lock()
        self.channel = channel
        self.token = token
        self.token_where: str | None = None
        self.loopback_only = loopback_only
        self.routes = routes()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:
        client = client_address[0]
        with self._open_lock:
            mine, total = self._open.get(client, 0), sum(self._open.values())
            if mine >= MAX_CONNECTIONS_PER_CLIENT:
                why = f"{mine} connections from {client} are open already"
            elif total >= MAX_CONNECTIONS:
                why = f"{total} connections are open in total"
            else:
                why = ""
                self._open[client] = mine + 1
        if why:
            _refuse(request, f"{why}: close idle connections, or send fewer requests at once")
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                left = self._open.get(client_address[0], 1) - 1
                if left:
                    self._open[client_address[0]] = left
                else:
                    self._open.pop(client_address[0], None)

    def handle_error(self, request, client_address) -> None:
        # A failed TLS handshake or a dropped socket is the client's business, not a traceback.
        log.debug("HTTP connection from %s failed", client_address, exc_info=True)


def _refuse(request, message: str) -> None:
    """A 503 written straight on the socket, from the accepting thread: no thread for it."""
    if isinstance(request, ssl.SSLSocket):
        return  # before its handshake a TLS connection can only be closed
    body = json.dumps({"code": "RESOURCE_EXHAUSTED", "message": message}).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
    )
    try:
        request.settimeout(0.5)  # a fresh socket's buffer takes this; never wait on a client
        request.sendall(head.encode() + body)
    except OSError:
        pass


@dataclass
class HttpGateway:
    server: _GatewayServer
    thread: threading.Thread
    host: str
    port: int
    tls: bool

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server.channel.close()  # ends any open event streams
        self.thread.join(5)


def tls_context(tls: tuple[Path, Path]) -> ssl.SSLContext:
    """A server-side TLS 1.2+ context from a PEM certificate (chain) and its private key."""
    cert, key = (Path(p) for p in tls)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise SecurityError(
            f"cannot use the TLS certificate {cert} with the key {key}: {exc} — give a PEM "
            "certificate with --tls-cert and its unencrypted PEM key with --tls-key"
        ) from exc
    return context


def start_http_gateway(
    grpc_target: str,
    token: str,
    host: str = "127.0.0.1",
    port: int = DEFAULT_HTTP_PORT,
    tls: tuple[Path, Path] | None = None,
    *,
    token_where: str | None = None,
) -> HttpGateway:
    """Serve HTTP/JSON on host:port (0 picks a free port), forwarding to `grpc_target`."""
    if not token:
        raise SecurityError("the HTTP gateway needs a token; load it with load_or_create_token()")
    check_bind(host, tls)
    context = tls_context(tls) if tls else None
    channel = authorized_channel(grpc_target, token)
    try:
        server = _GatewayServer((host, port), channel, token, loopback_only=is_loopback(host))
    except OSError as exc:
        channel.close()
        raise OSError(
            f"cannot listen for HTTP on {host}:{port} ({exc.strerror}): is another cuebridge "
            "already serving? Pick another --http-port, or --no-http"
        ) from exc
    server.token_where = token_where
    if context is not None:
        server.socket = context.wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False
        )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True, name="http"
    )
    thread.start()
    return HttpGateway(server, thread, host, server.server_address[1], tls is not None)
