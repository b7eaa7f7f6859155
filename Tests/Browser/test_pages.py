"""Every admin page in the browser: it renders, the browser reports no error (a CSP violation or a missing asset is a
console error), and a full-page screenshot is saved for a person to look at. Plus escaping as the browser sees it."""

from __future__ import annotations

import json

import pytest

import harness
from conftest import new_owner_page

SCRIPT_NAME = "<script>alert(1)</script>.pdf"
IMG_NAME = "<img src=x onerror=alert(1)>.pdf"
SMALL_PDF = harness.SHARED / "corpus" / "pdf" / "ptlaw_05360536.pdf"
OTHER_PDF = harness.SHARED / "corpus" / "pdf" / "ptlaw_0045800458.pdf"


def upload_by_api(daemon, path, filename: str) -> dict:
    """POST /api/v1/documents (multipart `file`) with the API token; returns the stored document. A browser cannot
    send a '/' in a file name; the API can."""
    import urllib.request
    boundary = "----balcao-browser-test"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        f"{daemon.base_url}/api/v1/documents", data=body, method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Authorization": f"Bearer {harness.API_TOKEN}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_a_document_named_like_a_script_shows_as_text_and_runs_nothing(owner, daemon):
    page = owner.page
    owner.open("/admin/documents")
    document = upload_by_api(daemon, SMALL_PDF, SCRIPT_NAME)
    # The library keeps the name after the last '/' (no paths in names): "script>.pdf" is what there is to show.
    stored = document["filename"]
    assert stored in SCRIPT_NAME and stored.endswith(".pdf")
    owner.open("/admin/documents")
    row = page.locator(f'tr[data-document-id="{document["id"]}"]')
    assert stored in row.inner_text(), f"the row shows {row.inner_text()!r}, the name is {stored!r}"
    owner.open(f"/admin/documents/{document['id']}")
    assert stored in page.inner_text("body")
    owner.shot("document-script-name")
    assert owner.dialogs == [], f"a dialog fired: {owner.dialogs}"
    assert page.locator("script:not([src])").count() == 0, "an inline script is in the page"


def test_a_file_named_like_markup_uploaded_in_the_browser_stays_text(owner):
    page = owner.page
    owner.open("/admin/documents")
    form = page.locator("#upload-form")
    form.locator('input[type="file"][name="files"]').set_input_files(
        files=[{"name": IMG_NAME, "mimeType": "application/pdf", "buffer": OTHER_PDF.read_bytes()}])
    form.locator('[type="submit"]').first.click()
    page.locator("tr[data-document-id]").filter(has_text=IMG_NAME).first.wait_for(timeout=30_000)
    owner.open("/admin/documents")  # as the server renders it, not only as the page's script inserted it
    assert page.locator("tr[data-document-id]").filter(has_text=IMG_NAME).count() == 1
    assert page.locator("img[src='x']").count() == 0, "the file name was rendered as markup"
    owner.shot("documents-markup-name")
    assert owner.dialogs == [], f"a dialog fired: {owner.dialogs}"


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
    ("agent-hours", "/admin/agents/{agent}/hours?year=2027", "agent"),
    ("conversations", "/admin/conversations", "conversation"),
    ("conversations-waiting", "/admin/conversations?filter=waiting", "conversation"),
    ("conversations-closed", "/admin/conversations?filter=closed", "conversation"),
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
