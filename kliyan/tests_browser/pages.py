"""What the browser tests do on every page: sign in, and check that nothing is wider than the screen."""

from __future__ import annotations

import re

PASSWORD = "correct horse battery"  # the password of kliyan/conftest.py's users


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r"/my-day/"))


def fits(page, width: int) -> bool:
    """Whether the page scrolls no wider than `width` pixels (a 360 px phone: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth") <= width
