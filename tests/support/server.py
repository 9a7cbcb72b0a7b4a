"""Serve a WSGI app over real HTTP on 127.0.0.1 in a background thread."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import make_server


class LiveServer:
    def __init__(self, app: Any, port: int) -> None:
        self._server = make_server("127.0.0.1", port, app, threaded=True)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
