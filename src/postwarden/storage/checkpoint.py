"""Background WAL checkpoints for SQLite.

SQLite normally checkpoints inside whichever commit pushes the write-ahead log past its threshold, so
every few thousand messages one accept batch waits for the checkpoint's fsync. Doing it from a thread of
its own, every half second and PASSIVE (never blocking writers), keeps those pauses off the send path.
The automatic checkpoint stays on at a higher threshold as a safety net.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine

log = logging.getLogger("postwarden.storage")


class WalCheckpointer:
    def __init__(self, engine: Engine, interval: float = 0.5) -> None:
        self._engine = engine
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._engine.dialect.name != "sqlite":
            return
        self._thread = threading.Thread(target=self._run, name="postwarden-wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        with self._engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            while not self._stop.wait(self._interval):
                try:
                    raw.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except Exception:  # a busy or failed checkpoint is retried on the next tick
                    log.exception("WAL checkpoint failed")
