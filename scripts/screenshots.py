"""Take the README's screenshots from a running demo portal (``make run``), into docs/images/.

    python scripts/screenshots.py [--base http://127.0.0.1:8000] [--out docs/images]

Signs in as the demo developer, opens Home, the catalog and an entity page, runs the Python library
golden path on Atrium's own git host, and opens the task, the new component and its repository. It needs
Playwright for Python (the test dependencies) and Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
EMAIL, PASSWORD = "dev@atrium.localhost", "atrium-demo-password"  # the demo account seed_demo prints


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"billing-client-{int(time.time()) % 100000}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.set_default_timeout(30_000)

        def shot(file: str) -> None:
            page.screenshot(path=str(args.out / file))
            print(f"wrote {args.out / file}")

        page.goto(f"{args.base}/accounts/login/")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign In").click()
        page.get_by_role("heading", level=1).wait_for()
        shot("home.png")
        page.goto(f"{args.base}/catalog/")
        shot("catalog.png")
        page.goto(f"{args.base}/catalog/component/default/artist-lookup")
        shot("entity.png")
        page.goto(f"{args.base}/create/")
        expect(page.locator(".template-card")).to_have_count(3)
        shot("create.png")

        page.goto(f"{args.base}/create/templates/default/python-library/run")
        page.locator("#f-name").fill(name)
        page.locator("#f-description").fill("A typed client for the billing API.")
        page.locator("#f-owner").select_option(index=1)
        page.get_by_role("button", name="Next").click()
        page.locator("#f-repoUrl-owner").fill("acme")
        page.locator("#f-repoUrl-repo").fill(name)
        shot("create-repository.png")
        page.get_by_role("button", name="Review").click()
        page.get_by_role("button", name="Create", exact=True).click()
        page.wait_for_url(re.compile(r"/create/tasks/[0-9a-f-]+$"))
        expect(page.get_by_test_id("task-status")).to_have_text("Completed", timeout=120_000)
        shot("task.png")
        page.get_by_test_id("task-result").get_by_role("link", name="Repository").click()
        page.get_by_test_id("repo-tree").wait_for()
        shot("repository.png")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
