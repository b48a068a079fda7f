"""An HTTP endpoint on loopback that stands in for Lambda functions in local mode: it records every
event POSTed to it, in order, and answers each path with the result scripted for it.

    with FunctionEndpoint() as functions:
        functions.answer("/stop-rule", {"disposition": "STOP_RULE"})
        start_local("--lambda-function", f"{ARN}={functions.url('/stop-rule')}")
        ...
        functions.events("/stop-rule")  # the SES events the function was given
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class FunctionEndpoint:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, Any] = {}
        self._failing: set[str] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                event = json.loads(self.rfile.read(length) or b"{}")
                with endpoint._lock:
                    endpoint.calls.append((self.path, event))
                    answer = endpoint._answers.get(self.path)
                    failing = self.path in endpoint._failing
                body = json.dumps(answer).encode() if answer is not None else b""
                self.send_response(500 if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def answer(self, path: str, result: Any) -> None:
        with self._lock:
            self._answers[path] = result

    def events(self, path: str) -> list[dict[str, Any]]:
        with self._lock:
            return [event for called, event in self.calls if called == path]

    def __enter__(self) -> FunctionEndpoint:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
