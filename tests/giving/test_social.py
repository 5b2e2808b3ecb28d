"""The social preview: a 1200 × 630 PNG at a stable URL, named by the page's og:image, made
again only when what it shows changes (ETag), and only for a public campaign."""

from __future__ import annotations

import struct

import httpx

from kro import documents
from tests.giving.conftest import Giving
from tests.support.api import error


def size_of(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


async def test_social_preview_png(giving: Giving, http: httpx.AsyncClient) -> None:
    await giving.create()
    url = f"/v1/giving/campaigns/{giving.id}/social.png"
    error(await http.get(url), 404, "campaign_not_found")  # a draft is not public
    cover = documents.render_png(
        "giving/social.typ",
        {"title": "x", "raised": "₦0", "goal": "₦1", "progress": 0, "donors": "", "cover": None},
        ppi=20,
    )
    files = {"file": ("cover.png", cover, "image/png")}
    path = f"/v1/giving/my/campaigns/{giving.id}/cover"
    assert (await http.put(path, files=files, headers=giving.organizer)).status_code == 200
    await giving.act("submit")
    await giving.review("approve")

    first = await http.get(url)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert size_of(first.content) == (1200, 630)
    etag = first.headers["etag"]
    again = await http.get(url)
    assert again.content == first.content and again.headers["etag"] == etag
    assert (await http.get(url, headers={"If-None-Match": etag})).status_code == 304

    page = (await http.get(f"/giving/campaigns/{giving.id}")).text
    base = str(http.base_url).rstrip("/")
    assert f'<meta property="og:image" content="{base}{url}">' in page
    assert '<meta property="og:image:width" content="1200">' in page

    await giving.give(2_500_000, tip=0)
    changed = await http.get(url)
    assert changed.headers["etag"] != etag and changed.content != first.content
    assert size_of(changed.content) == (1200, 630)


async def test_a_cover_typst_cannot_read_is_left_out(
    giving: Giving, http: httpx.AsyncClient
) -> None:
    await giving.create()
    files = {"file": ("cover.png", b"not really a png", "image/png")}
    path = f"/v1/giving/my/campaigns/{giving.id}/cover"
    assert (await http.put(path, files=files, headers=giving.organizer)).status_code == 200
    await giving.act("submit")
    await giving.review("approve")
    r = await http.get(f"/v1/giving/campaigns/{giving.id}/social.png")
    assert r.status_code == 200 and size_of(r.content) == (1200, 630)
