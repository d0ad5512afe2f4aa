"""A TCP proxy in front of the test PostgreSQL, to make one service's database unreachable or to
lose the answer to a COMMIT, without touching the server other tests use.

Runs on green threads in the test process (the tests are eventlet-patched). Point a service at
`proxy.url(database)` (sslmode=disable, so the proxy can see the COMMIT message).
"""

from __future__ import annotations

import eventlet
from eventlet import greenio

# psycopg2 commits with the simple query protocol: 'Q', int32 length (4 + len("COMMIT\0")), "COMMIT\0"
COMMIT_MESSAGE = b"Q\x00\x00\x00\x0bCOMMIT\x00"


class PgProxy:
    def __init__(self, upstream=("127.0.0.1", 5432)):
        self.upstream = upstream
        self._listener = eventlet.listen(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._pairs: list = []
        self._lose_commit_after: bytes | None = None
        self.commits_lost = 0
        self._acceptor = eventlet.spawn(self._accept, self._listener)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    # -- what the tests do
    def refuse(self) -> None:
        """Close the listening socket (new connections are refused) and every open connection
        (the server closing connections)."""
        if self._listener is not None:
            self._acceptor.kill()
            self._listener.close()
            self._listener = None
        for client, server in list(self._pairs):
            for sock in (client, server):  # the pumps see the end and close both
                try:
                    greenio.shutdown_safe(sock)
                except OSError:
                    pass
        self._pairs.clear()
        eventlet.sleep(0.1)

    def resume(self) -> None:
        self._listener = eventlet.listen(("127.0.0.1", self.port))
        self._acceptor = eventlet.spawn(self._accept, self._listener)

    def lose_commit_after(self, marker: bytes) -> None:
        """The next COMMIT on a connection that sent `marker` since its previous COMMIT reaches the
        server and is carried out; its answer is not passed on and both sides are closed."""
        self._lose_commit_after = marker

    def close(self) -> None:
        self.refuse()

    # -- the plumbing
    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = eventlet.connect(self.upstream)
            self._pairs.append((client, server))
            state = {"marked": False}
            state["back"] = eventlet.spawn(self._pump, server, client)
            eventlet.spawn_n(self._pump_to_server, client, server, state)

    def _pump(self, source, target) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except eventlet.greenlet.GreenletExit:  # stopped by _lose, which handles both sides
            return
        except (OSError, EOFError):
            pass
        _shutdown(target)

    def _pump_to_server(self, client, server, state) -> None:
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                marker = self._lose_commit_after
                if marker is not None and marker in data:
                    state["marked"] = True
                if marker is not None and state["marked"] and _commits(data):
                    self._lose_commit_after = None
                    state["back"].kill()  # its reads of the server's answers end here
                    self._lose(client, server, data)
                    return
                if _commits(data):
                    state["marked"] = False
                server.sendall(data)
        except (OSError, EOFError):
            pass
        finally:
            _shutdown(server)
            state["back"].wait()  # the other pump ends too (it reads the server until the shutdown)
            client.close()
            server.close()

    def _lose(self, client, server, data: bytes) -> None:
        # The server's answers are no longer relayed (the other pump was stopped): let the COMMIT
        # through, wait for the server to answer it (it has committed), then drop the client.
        server.sendall(data)
        server.settimeout(10)
        try:
            server.recv(65536)
        except (OSError, EOFError):
            pass
        self.commits_lost += 1
        _shutdown(client)
        client.close()
        server.close()


def _commits(data: bytes) -> bool:
    """A simple query that is COMMIT, or that ends with one (`...; COMMIT`: a unit of work that
    sends its COMMIT with its last statement, UnitOfWork.commit_with)."""
    return COMMIT_MESSAGE in data or (data[:1] == b"Q" and data.endswith(b"; COMMIT\x00"))


def _shutdown(sock) -> None:
    try:
        greenio.shutdown_safe(sock)
    except OSError:
        pass
