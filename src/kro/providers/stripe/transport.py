"""The official SDK's HTTP layer over *our* ``httpx.AsyncClient``.

``stripe.HTTPXClient`` always builds its own ``httpx.AsyncClient`` (one timeout number, no
separate connect timeout, not shareable), so the adapter gives ``stripe.StripeClient`` this
small :class:`stripe.HTTPClient` subclass instead: async only (the sync methods stay the base
class's), no retries of its own (the client is built with ``max_network_retries=0``), and —
as ``HTTPXClient`` does — every transport failure is raised as ``stripe.APIConnectionError``
*from* the httpx exception, so the adapter can tell "never sent" (connect errors) from
"sent, no answer" (read timeouts).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Mapping
from typing import Any

import httpx
import stripe


class SharedHttpxClient(stripe.HTTPClient):
    """Sends the SDK's requests with ``client`` (whose owner closes it); ``timeout`` seconds
    for the answer."""

    name = "httpx"

    def __init__(self, client: httpx.AsyncClient, timeout: float) -> None:
        super().__init__()
        self._client_async = client
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        content = post_data.encode() if isinstance(post_data, str) else post_data
        try:
            response = await self._client_async.request(
                method, url, headers=dict(headers), content=content, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            # The SDK's exception constructors carry no annotations.
            raise stripe.APIConnectionError(  # type: ignore[no-untyped-call]
                f"Network error talking to Stripe: {type(exc).__name__}", should_retry=False
            ) from exc
        return response.content, response.status_code, response.headers

    async def request_stream_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[AsyncIterable[bytes], int, Mapping[str, str]]:
        raise NotImplementedError("streaming is not used by the adapter")

    def sleep_async(self, secs: float) -> Awaitable[None]:
        return asyncio.sleep(secs)

    async def close_async(self) -> None:
        """The client belongs to the adapter (or its caller), which closes it."""
