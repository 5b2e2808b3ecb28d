"""``/``: the front door. A signed-in user goes to the first page of the app's bar; anyone
else sees what KRO is and how to start."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from kro.web import navigation
from kro.web.dependencies import OptionalViewer
from kro.web.routing import page_router
from kro.web.templating import redirect, render

router = page_router(tags=["web"])


@router.get("/")
async def home(request: Request, viewer: OptionalViewer) -> Response:
    """Landing page, or the signed-in user's first app page."""
    links = navigation.links("app")
    if viewer is not None and links:
        return redirect(request, links[0].href)
    return render(request, "web/home.html")
