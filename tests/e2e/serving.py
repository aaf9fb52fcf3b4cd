"""The web app served to Chromium in the end-to-end walks: werkzeug's threaded server on a free port."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import make_server

from apps.processes.broker import free_port

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _closing(app: WsgiApp) -> WsgiApp:
    """Each response read whole and closed inside the call. werkzeug's development server closes a
    response's iterator only after draining the socket, and a browser resetting the connection (a favicon
    fetch cut short by a navigation) makes that drain raise first: `send_file`'s open file then leaks, and
    its ResourceWarning fails whatever test is running when it is collected (warnings are errors here)."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    return wsgi


class Served:
    """The app on 127.0.0.1 in a daemon thread; `url` is its base, `stop()` ends it."""

    def __init__(self, app: WsgiApp) -> None:
        self._httpd = make_server("127.0.0.1", free_port(), _closing(app), threaded=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._thread.join()
