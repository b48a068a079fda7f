"""The API's HTTP front in local mode: a threaded server that hands raw requests to ApiApp."""

from __future__ import annotations

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sesame.api.app import ApiApp
from sesame.protocol.http import HttpRequest

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 50 * 1024 * 1024  # above SES v2's 40 MB message limit plus encoding


class _Handler(BaseHTTPRequestHandler):
    server_version = "Sesame"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm the body would wait for the
    # client's delayed ACK of the headers (~40 ms on every response of a kept-alive connection).
    disable_nagle_algorithm = True
    # Idle keep-alive connections close after this long, so shutdown never waits on them.
    timeout = 5
    app: ApiApp | None = None  # set on the subclass made per server, once the app is built

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            self.send_error(413, "Request body too large")
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
        request = HttpRequest(
            method=self.command,
            path=path,
            query_string=query,
            headers=headers,
            body=body,
            source_ip=self.client_address[0],
        )
        if self.app is None:
            self.send_error(503, "Starting")
            return
        response = self.app.handle(request)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 drops connections when a few dozen clients connect at
    # once (their first request then fails with the connection closed); listen as servers do.
    request_queue_size = 128


class ApiServer:
    """Binds at construction (so a port-0 listener knows its port before the app that needs its
    URL is built) and serves once started with the app."""

    def __init__(self, host: str, port: int) -> None:
        self._handler: type[_Handler] = type("BoundHandler", (_Handler,), {})
        self._server = _Server((host, port), self._handler)
        # Shutdown joins the request threads: work in flight finishes before the process exits.
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="api", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self, app: ApiApp) -> None:
        self._handler.app = app
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
