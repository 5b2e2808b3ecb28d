"""The ``kro`` command: serve, worker, migrate, admin, demo."""

from __future__ import annotations

import typer

app = typer.Typer(help="KRO platform", no_args_is_help=True)


@app.command()
def serve() -> None:
    """Serve the API (and, on the embedded default, the worker and the sandbox)."""
    import uvicorn

    from kro.app import create_app
    from kro.settings import get_settings

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    app()
