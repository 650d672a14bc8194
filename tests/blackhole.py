"""A TCP proxy that can let a path die silently: the connections it carries stop carrying
anything, in both directions, and are not closed (a laptop asleep, Wi-Fi roaming, a NAT or
proxy that forgot the connection). New connections go through."""

from __future__ import annotations

import socket
import threading


class BlackholeProxy:
    """Forwards loopback connections on ``port`` to ``target_port``; a context manager."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._dead: set[socket.socket] = set()
        self._sockets: list[socket.socket] = []
        self._stopped = threading.Event()

    def __enter__(self) -> BlackholeProxy:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def kill_paths(self) -> None:
        """From now on, the connections open so far carry nothing; they stay open."""
        with self._lock:
            self._dead.update(self._sockets)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                dead = source in self._dead
            if dead:
                continue  # swallowed: nothing arrives, nothing is closed
            try:
                sink.sendall(data)
            except OSError:
                return
