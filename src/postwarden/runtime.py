"""Running the assembled server: start every part, serve until told to stop, stop every part in order."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import TYPE_CHECKING, Any

from postwarden.bootstrap import build_server, feedback_mx, smtp_server
from postwarden.config import Settings
from postwarden.services.reputation import ReputationSweeper
from postwarden.storage.checkpoint import WalCheckpointer

if TYPE_CHECKING:
    from postwarden.smtp.server import SubmissionServer

log = logging.getLogger("postwarden")


async def serve(settings: Settings) -> None:
    import uvicorn

    server = build_server(settings)
    _tune_garbage_collector()
    checkpointer = WalCheckpointer(server.services.store.engine)
    checkpointer.start()
    await server.sender.start()
    await server.checker.start()
    if server.authority is not None:
        await server.authority.start()
    sole_worker = server.services.store.engine.dialect.name == "sqlite"
    if settings.delivery_enabled:
        await server.worker.start(sole_worker=sole_worker)
    await server.dispatcher.start(sole_worker=sole_worker)
    sweeper = ReputationSweeper(server.reputation, settings.reputation_sweep_seconds)
    await sweeper.start()
    if server.imports is not None:
        await server.imports.start(sole_worker=sole_worker)
    config = uvicorn.Config(
        server.app,
        host=settings.http_host,
        port=settings.http_port,
        http="httptools",
        loop="none",
        lifespan="off",
        access_log=False,
        proxy_headers=False,
        log_level="warning",
        backlog=4096,
    )
    http = uvicorn.Server(config)
    https = _https_server(settings, server.app) if settings.https_port else None
    log.info(
        "Postwarden listening on http://%s:%s (database %s, %s)",
        settings.http_host,
        settings.http_port,
        server.services.store.engine.url.render_as_string(hide_password=True),
        f"relay {settings.relay}" if settings.relay else "delivery by MX",
    )
    smtp: SubmissionServer | None = None
    feedback = feedback_mx(settings, server)
    try:
        if feedback is not None:
            await feedback.start()
        smtp = smtp_server(settings, server)
        if smtp is not None:
            await smtp.start()  # before the API, so that both are up once the API answers
        if https is None:
            await http.serve()
        else:  # a signal reaches only one of them: when either stops, stop the other
            serving = [asyncio.ensure_future(http.serve()), asyncio.ensure_future(https.serve())]
            await asyncio.wait(serving, return_when=asyncio.FIRST_COMPLETED)
            http.should_exit = https.should_exit = True
            await asyncio.gather(*serving)
    finally:
        if smtp is not None:
            await smtp.stop()
        if feedback is not None:
            await feedback.stop()
        await server.sender.stop()
        await server.checker.stop()
        if server.authority is not None:
            await server.authority.stop()
        if settings.delivery_enabled:
            await server.worker.stop()
        await server.dispatcher.stop()
        await sweeper.stop()
        if server.imports is not None:
            await server.imports.stop()
        checkpointer.stop()
        server.services.store.dispose()


def _https_server(settings: Settings, app: Any) -> Any:
    """The same application over TLS, with the SMTP listeners' certificate (configured or self-signed)."""
    import uvicorn

    from postwarden.smtp.tls import ensure_self_signed

    if settings.smtp_tls_cert:
        cert, key = settings.smtp_tls_cert, settings.smtp_tls_key
    else:
        made = ensure_self_signed(settings.data_dir, settings.hostname, (settings.http_host,))
        cert, key = str(made[0]), str(made[1])
    config = uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.https_port,
        http="httptools",
        loop="none",
        lifespan="off",
        access_log=False,
        log_level="warning",
        ssl_certfile=cert,
        ssl_keyfile=key,
    )
    return uvicorn.Server(config)


def _tune_garbage_collector() -> None:
    """Everything built at start-up (the SES models, SQLAlchemy's tables, caches) lives for the whole
    process: move it out of the collector's sight, and collect the young generations less often, so that
    full collections do not stall request handling for hundreds of milliseconds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


def run_server(settings: Settings) -> None:
    try:
        import uvloop

        uvloop.run(serve(settings))
    except ImportError:
        asyncio.run(serve(settings))
