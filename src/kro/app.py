"""``create_app(settings)``: the FastAPI application with every router, the sandbox and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from prometheus_client import make_asgi_app

from kro import __version__
from kro.kit import api
from kro.kit.db import create_engine, session_factory
from kro.kit.logging import configure_logging
from kro.settings import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. The database engine opens in the lifespan; nothing runs at import."""
    settings = settings or get_settings()
    configure_logging(json=settings.log_json, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        async with AsyncExitStack() as stack:
            for hook in app.state.startup_hooks:
                await stack.enter_async_context(hook(app))
            yield
        await engine.dispose()

    app = FastAPI(
        title="KRO platform API",
        version=__version__,
        description="Payments core and products: escrow, marketplace, giving, pensions.",
        lifespan=lifespan,
        responses=api.ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.startup_hooks = []
    api.install(app)

    from kro.identity.endpoints import router as identity_router

    app.include_router(identity_router)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.mount("/metrics", make_asgi_app())
    return app
