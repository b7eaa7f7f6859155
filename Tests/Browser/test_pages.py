"""Every admin page in the browser: it renders, the browser reports no error (a CSP violation or a missing asset is a
console error), and a full-page screenshot is saved for a person to look at. Plus escaping as the browser sees it."""

from __future__ import annotations

import pytest

import harness
from conftest import new_owner_page

SCRIPT_NAME = "<script>alert(1)</script>.pdf"
SMALL_PDF = harness.SHARED / "corpus" / "pdf" / "ptlaw_05360536.pdf"


def test_a_document_named_like_a_script_shows_as_text_and_runs_nothing(owner):
    page = owner.page
    owner.open("/admin/documents")
    form = page.locator("#upload-form")
    form.locator('input[type="file"][name="files"]').set_input_files(
        files=[{"name": SCRIPT_NAME, "mimeType": "application/pdf", "buffer": SMALL_PDF.read_bytes()}])
    form.locator('[type="submit"]').first.click()
    row = page.locator("tr[data-document-id]").filter(has_text=SCRIPT_NAME)
    row.first.wait_for(timeout=30_000)
    owner.open("/admin/documents")  # as rendered by the server, not only as inserted by the page's script
    row = page.locator("tr[data-document-id]").filter(has_text=SCRIPT_NAME)
    assert row.count() == 1, "the file name is not shown as text"
    document_id = row.first.get_attribute("data-document-id")
    owner.open(f"/admin/documents/{document_id}")
    assert SCRIPT_NAME in page.inner_text("body")
    owner.shot("document-script-name")
    assert owner.dialogs == [], f"a dialog fired: {owner.dialogs}"
    assert page.locator("script:not([src])").count() == 0, "an inline script is in the page"


# (screenshot name, path template, what it needs)
PAGES = [
    ("dashboard", "/admin/dashboard", None),
    ("documents", "/admin/documents", None),
    ("document-detail", "/admin/documents/{document}", "document"),
    ("search", "/admin/search?q=reprivatiza%C3%A7%C3%A3o", "document"),
    ("agents", "/admin/agents", None),
    ("agent-new", "/admin/agents/new", None),
    ("agent-edit", "/admin/agents/{agent}", "agent"),
    ("playground", "/admin/agents/{agent}/playground", "agent"),
    ("conversations", "/admin/conversations", "conversation"),
    ("conversations-waiting", "/admin/conversations?filter=waiting", "conversation"),
    ("conversation-thread", "/admin/conversations/{conversation}", "conversation"),
    ("unanswered", "/admin/unanswered", None),
    ("credits", "/admin/credits", None),
    ("settings", "/admin/settings", None),
    ("users", "/admin/users", None),
    ("audit", "/admin/audit", None),
]


@pytest.mark.parametrize("name,path,needs", PAGES, ids=[p[0] for p in PAGES])
def test_every_page_renders_without_browser_errors(request, browser, daemon, owner_state, name, path, needs):
    ids = {}
    if needs == "document":
        ids["document"] = request.getfixturevalue("indexed_document")["id"]
    elif needs == "agent":
        ids["agent"] = request.getfixturevalue("agent")["id"]
    elif needs == "conversation":
        ids["conversation"] = request.getfixturevalue("conversation")["id"]
    watched = new_owner_page(browser, daemon, owner_state)
    try:
        response = watched.open(path.format(**ids))
        assert response is not None and response.status == 200, f"GET {path} answered {response and response.status}"
        watched.page.wait_for_load_state("networkidle")
        watched.shot(f"page-{name}")
        assert watched.console_errors == [], f"the browser reported errors on {path}: {watched.console_errors}"
        assert watched.dialogs == []
        # The layout's own stylesheet loaded (an unstyled page is the first sign of a broken asset route).
        styled = watched.page.evaluate("() => document.styleSheets.length")
        assert styled > 0, f"{path} has no stylesheet"
    finally:
        watched.context.close()
