"""Browser helpers for the journeys: Debian's Chromium driven by Playwright, and screenshots
at phone and desktop widths under ``var/screenshots/<journey>/`` for review."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from playwright.async_api import Page

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "var" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FOUND = Path(CHROMIUM).exists()
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


class Camera:
    """Saves ``<n>-<name>-phone.png`` and ``<n>-<name>-desktop.png`` of a page."""

    def __init__(self, journey: str) -> None:
        self.folder = SHOTS / journey
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def shoot(self, page: Page, name: str) -> None:
        self.count += 1
        stem = f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}"
        size = page.viewport_size or PHONE
        for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            await page.set_viewport_size(viewport)
            await page.screenshot(path=str(self.folder / f"{stem}-{label}.png"), full_page=True)
        await page.set_viewport_size(size)
