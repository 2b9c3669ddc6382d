"""Run the web app with uvicorn: in the foreground (`followthrough web`) or in a thread.

The thread form is for the embedded shape (`followthrough run` serves the app beside the
worker and the scheduler) and for tests; port 0 picks a free port, read back from `.url`.
"""

from __future__ import annotations

import signal
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

STARTUP_TIMEOUT_SECONDS = 10.0


def _config(app: FastAPI) -> uvicorn.Config:
    # log_config=None keeps uvicorn's records on the root logger, where service.logging renders
    # them (and redacts secrets) like every other event.
    return uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")


def serve_forever(app: FastAPI, host: str, port: int) -> None:
    """Serve `app` on host:port until SIGINT/SIGTERM, which finish open requests, then return."""
    config = _config(app)
    config.host, config.port = host, port
    # uvicorn re-raises the signal that stopped it once it has shut down gracefully; with these
    # no-op handlers in place that re-raise is absorbed and the caller returns normally.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: None)
    uvicorn.Server(config).run()


class WebServer:
    """The web app served by uvicorn in a background thread."""

    def __init__(self, app: FastAPI, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.create_server((host, port))
        self._server = uvicorn.Server(_config(app))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:51234."""
        host, port = self._socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> WebServer:
        """Start serving; returns once the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Finish open requests and stop."""
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_TIMEOUT_SECONDS)
        self._socket.close()

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
