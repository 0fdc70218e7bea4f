"""The HTTP layer of the local server: a WSGI application served by waitress, with limits.

Why waitress (3.0.2, pure Python, Pylons project): one event loop reads every
connection without blocking and hands a request to a bounded pool of worker threads
only once its headers and body are complete. A client that sends half a request and
stalls therefore holds a socket, not a thread, until ``read_timeout`` closes it;
dropped clients are closed quietly. The standard library's ``http.server`` gave each
connection a thread that blocked in ``read()`` forever and logged a traceback per
broken pipe. cheroot has a thread per connection again; gunicorn forks workers, each of
which would load every SavedModel.

What this module adds to waitress:

- every error waitress answers itself (malformed ``Content-Length``, headers or body
  over their limits, an internal error) is TF Serving's ``{"error": "..."}`` JSON, as
  the application's own errors are;
- a loop that stops on an event from any thread (``waitress.serve`` stops only on
  a signal);
- ``poll()`` rather than ``select()``, which cannot watch more than 1,024 sockets, and
  an open-files limit raised to fit ``connection_limit`` (or the limit lowered to fit).
"""
from __future__ import annotations

import json
import logging
import resource
import threading

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher

from coarseseg_tf.serving.rest import error_body

log = logging.getLogger(__name__)

#: file descriptors kept for what is not a client connection (TensorFlow, logs, the listener)
_RESERVED_FILES = 64
#: seconds the event loop may sleep before it looks at the stop event again
_LOOP_SECONDS = 0.5


class _JsonErrorTask(ErrorTask):
    """Waitress's own error responses (400, 413, 431, 500 ...) as ``{"error": "reason: detail"}``."""

    def execute(self):
        error = self.request.error
        body = json.dumps(error_body(f"{error.reason}: {error.body}")).encode("utf-8")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _JsonErrorChannel(HTTPChannel):
    error_task_class = _JsonErrorTask


class _TcpServer(TcpWSGIServer):
    channel_class = _JsonErrorChannel


def _fit_open_files(connection_limit: int) -> int:
    """Raises the soft open-files limit to fit ``connection_limit`` sockets; returns the limit that fits.

    Past the open-files limit ``accept()`` fails with EMFILE on every loop turn, which is
    worse than refusing to accept: so the connection limit shrinks to what the process may open.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = connection_limit + _RESERVED_FILES
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    if soft != resource.RLIM_INFINITY and soft < needed:
        fitted = max(1, soft - _RESERVED_FILES)
        log.warning("open-files limit %d: connection limit lowered from %d to %d", soft, connection_limit, fitted)
        return fitted
    return connection_limit


class WsgiServer:
    """Serves a WSGI application on ``host:port`` until :meth:`stop`.

    Args:
      app: the WSGI application.
      host, port: where to listen (port 0: a free port, see ``address``).
      threads: worker threads that run the application; requests beyond them queue
        (at most one per connection).
      connection_limit: open connections beyond which new ones wait in the listen backlog.
      read_timeout: seconds a connection may stay silent (mid-request or idle between
        requests) before it is closed; waitress counts whole seconds.
      max_body_bytes: bodies are read (and buffered) up to this size; a larger
        ``Content-Length`` is answered 413 at once and the connection closed.
    """

    def __init__(self, app, host: str, port: int, threads: int, connection_limit: int, read_timeout: int,
                 max_body_bytes: int):
        if min(threads, connection_limit, read_timeout) < 1:
            raise ValueError(f"threads, connection_limit and read_timeout must be >= 1, got "
                             f"{threads}, {connection_limit}, {read_timeout}")
        adjustments = Adjustments(
            host=host, port=port, threads=threads, connection_limit=_fit_open_files(connection_limit),
            channel_timeout=read_timeout,
            # how often silent connections are looked for: often enough that one closes
            # within 1.5x read_timeout
            cleanup_interval=max(1, read_timeout // 2), max_request_body_size=max_body_bytes,
            asyncore_use_poll=True, ident="coarseseg")
        dispatcher = ThreadedTaskDispatcher()
        dispatcher.set_thread_count(threads)
        self._map: dict = {}
        self._server = _TcpServer(app, map=self._map, dispatcher=dispatcher, adj=adjustments)
        self._stop = threading.Event()
        self._stopped = threading.Event()
        # guards the wake-up pipe: stop() must not write to it once the loop has closed it
        # (its file descriptor number may belong to another file by then)
        self._lock = threading.Lock()
        self._running = self._closed = False

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the server listens on."""
        return self._server.effective_host, int(self._server.effective_port)

    def serve_until_stopped(self) -> None:
        """Runs the event loop in this thread until :meth:`stop`; then closes every connection."""
        with self._lock:
            self._running = True
        try:
            while not self._stop.is_set():
                wasyncore.loop(timeout=_LOOP_SECONDS, use_poll=True, map=self._map, count=1)
        finally:
            self._close()
            self._stopped.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stops the loop (from any thread) and waits up to ``timeout`` s for it to close down."""
        self._stop.set()
        with self._lock:
            running = self._running and not self._closed
            if running:
                self._server.pull_trigger()  # wakes the loop from its poll()
        if running:
            self._stopped.wait(timeout)
        else:
            self._close()

    def _close(self) -> None:
        # workers first: a worker that finishes a request wakes the loop through the pipe
        self._server.task_dispatcher.shutdown()
        with self._lock:
            if not self._closed:
                self._closed = True
                wasyncore.close_all(self._map)
