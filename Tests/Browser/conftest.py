"""Fixtures of the browser tests: one real daemon per run (fake LLM and Graph API on loopback), real headless Chromium.

The daemon is `.build/debug/balcao` (what `swift build --build-tests` produced), or `$BALCAO_BIN`. Pages that are not
on this branch yet (404) make their tests skip with the reason, never pass.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

import harness

ARTIFACTS = harness.REPOSITORY / "test-artifacts" / "browser"
CHROMIUM = os.environ.get("BALCAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

OWNER = "dona.rita"
OWNER_PASSWORD = "correct horse battery staple 42"
TWO_COLUMN_PDF = harness.SHARED / "corpus" / "pdf" / "ptlaw_01060115.pdf"


def pytest_configure(config):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def fakes():
    llm, graph = harness.FakeLLM(), harness.FakeGraphAPI()
    yield llm, graph
    llm.stop()
    graph.stop()


@pytest.fixture(scope="session")
def daemon(fakes):
    binary = Path(os.environ.get("BALCAO_BIN", harness.REPOSITORY / ".build" / "debug" / "balcao"))
    if not binary.is_file():
        pytest.fail(f"{binary} is missing: run `swift build --build-tests` first (make test does)")
    llm, graph = fakes
    process = harness.Daemon(binary=binary, llm=llm, graph=graph).start()
    yield process
    status = process.stop()
    log = process.log()
    shutil.copy(process.log_path, ARTIFACTS / "daemon.log")
    shutil.rmtree(process.scratch, ignore_errors=True)
    assert status == 0, f"the daemon did not stop cleanly on SIGTERM (status {status}):\n{log[-4000:]}"


@pytest.fixture(scope="session")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make setup` installs Debian's chromium package")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Watched:
    """A page with what the browser reported: dialogs (alert/confirm/prompt) and console errors."""

    def __init__(self, context: BrowserContext, base_url: str):
        self.context = context
        self.base_url = base_url
        self.page: Page = context.new_page()
        self.dialogs: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda error: self.console_errors.append(f"uncaught: {error}"))

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, path: str, *, what: str | None = None):
        """Goes to `path`; a 404 skips the calling test (the page is not on this branch yet)."""
        # Chromium shows no page for an empty 404 (net::ERR_HTTP_RESPONSE_CODE_FAILURE): ask first, with the same cookies.
        probe = self.context.request.get(self.base_url + path)
        if probe.status == 404:
            pytest.skip(f"{what or path} is not on this branch yet (GET {path} answered 404)")
        return self.page.goto(self.base_url + path)

    def shot(self, name: str) -> Path:
        """A full-page screenshot in test-artifacts/browser/<name>.png."""
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def fill(form, name: str, value: str) -> None:
    """Fills the control named `name` inside `form`, whatever kind of control it is."""
    control = form.locator(f'[name="{name}"]').first
    tag = control.evaluate("element => element.tagName.toLowerCase()")
    if tag == "select":
        options = control.locator("option")
        values = [options.nth(i).get_attribute("value") for i in range(options.count())]
        texts = [options.nth(i).inner_text() for i in range(options.count())]
        choice = value if value in values else values[texts.index(value)] if value in texts else values[0]
        control.select_option(choice)
    else:
        control.fill(value)


def submit(page: Page, form) -> None:
    """Submits `form` by its submit button and waits for the page it leads to."""
    with page.expect_navigation():
        form.locator('[type="submit"]').first.click()


@pytest.fixture(scope="session")
def owner_state(browser, daemon, tmp_path_factory):
    """First-run setup done in the browser: the owner exists and is signed in; returns the saved storage state."""
    context = browser.new_context(locale="pt-BR")
    watched = Watched(context, daemon.base_url)
    watched.open("/admin", what="the admin web page (admin-core)")
    if "/admin/setup" not in watched.page.url:
        pytest.fail(f"with no user yet, /admin led to {watched.page.url} instead of /admin/setup")
    watched.shot("setup")
    code = daemon.setup_code()
    assert code, f"the daemon never logged 'admin setup code: <CODE>':\n{daemon.log()[-3000:]}"
    form = watched.page.locator("#setup-form")
    fill(form, "setup_code", code)
    fill(form, "username", OWNER)
    fill(form, "password", OWNER_PASSWORD)
    submit(watched.page, form)
    landed = watched.page.url
    state = tmp_path_factory.mktemp("owner") / "state.json"
    context.storage_state(path=str(state))
    context.close()
    return {"state": state, "landed": landed, "dialogs": watched.dialogs}


@pytest.fixture
def owner(browser, daemon, owner_state):
    """A fresh page signed in as the owner."""
    context = browser.new_context(locale="pt-BR", storage_state=str(owner_state["state"]))
    watched = Watched(context, daemon.base_url)
    yield watched
    context.close()


@pytest.fixture
def anonymous(browser, daemon):
    context = browser.new_context(locale="pt-BR")
    watched = Watched(context, daemon.base_url)
    yield watched
    context.close()


def new_owner_page(browser, daemon, owner_state) -> Watched:
    context = browser.new_context(locale="pt-BR", storage_state=str(owner_state["state"]))
    return Watched(context, daemon.base_url)


def document_rows(page: Page, filename: str):
    return page.locator("tr[data-document-id]").filter(has_text=filename)


@pytest.fixture(scope="session")
def indexed_document(browser, daemon, owner_state):
    """The corpus's two-column PDF uploaded through the documents page and watched (no reload) until indexed."""
    assert TWO_COLUMN_PDF.is_file(), f"{TWO_COLUMN_PDF} is missing (../shared beside the checkout)"
    watched = new_owner_page(browser, daemon, owner_state)
    try:
        watched.open("/admin/documents", what="the documents page (admin-pages)")
        form = watched.page.locator("#upload-form")
        form.locator('input[type="file"][name="files"]').set_input_files(str(TWO_COLUMN_PDF))
        form.locator('[type="submit"]').first.click()
        row = document_rows(watched.page, TWO_COLUMN_PDF.name)
        row.first.wait_for(timeout=30_000)
        statuses = []
        for _ in range(1200):
            status = row.first.get_attribute("data-status")
            if not statuses or statuses[-1] != status:
                statuses.append(status)
            if status in ("indexed", "failed", "needs_ocr", "unreadable"):
                break
            watched.page.wait_for_timeout(100)
        watched.shot("documents")
        document_id = row.first.get_attribute("data-document-id")
        return {"id": document_id, "statuses": statuses, "filename": TWO_COLUMN_PDF.name}
    finally:
        watched.context.close()


AGENT_NAME = "Atendimento Diário da República"


@pytest.fixture(scope="session")
def agent(browser, daemon, owner_state, indexed_document):
    """An agent created on /admin/agents/new that knows the PDF and answers the test phone number."""
    watched = new_owner_page(browser, daemon, owner_state)
    try:
        watched.open("/admin/agents/new", what="the new-agent page (admin-pages)")
        watched.shot("agent-new")
        form = watched.page.locator("#agent-form")
        fill(form, "name", AGENT_NAME)
        fill(form, "persona", "Você é a assistente do Diário da República: cordial, direta e sempre em português.")
        fill(form, "instructions", "Responda só com base nos documentos e cite a fonte.")
        fill(form, "language", "pt-BR")
        form.locator(f'input[name="document_ids"][value="{indexed_document["id"]}"]').check()
        fill(form, "phone_number_ids", harness.PHONE_NUMBER_ID)
        fill(form, "handoff_keywords", "atendente, humano")
        submit(watched.page, form)
        match = re.search(r"/admin/agents/(\d+)", watched.page.url)
        if not match:
            watched.open("/admin/agents")
            link = watched.page.locator("a[href*='/admin/agents/']").filter(has_text=AGENT_NAME).first
            match = re.search(r"/admin/agents/(\d+)", link.get_attribute("href") or "")
        assert match, f"after saving, no link to the new agent (at {watched.page.url})"
        return {"id": match.group(1), "name": AGENT_NAME}
    finally:
        watched.context.close()


CUSTOMER = "5511987650001"
CUSTOMER_NAME = "Joana Teste"


@pytest.fixture(scope="session")
def conversation(browser, daemon, fakes, owner_state, agent):
    """A WhatsApp conversation started by a signed webhook and answered by the agent; returns its id."""
    _, graph = fakes
    status = daemon.post_webhook(harness.text_webhook("O que diz o decreto sobre a reprivatização?", CUSTOMER, CUSTOMER_NAME))
    assert status == 200, f"the signed webhook was refused with {status}"
    answered = graph.wait_for_text(to=CUSTOMER, timeout=30)
    assert answered, f"the assistant never answered the customer:\n{daemon.log()[-3000:]}"
    watched = new_owner_page(browser, daemon, owner_state)
    try:
        watched.open("/admin/conversations", what="the conversations page (admin-pages)")
        link = watched.page.locator("a[href*='/admin/conversations/']").filter(has_text=CUSTOMER_NAME)
        if link.count() == 0:
            link = watched.page.locator("a[href*='/admin/conversations/']").filter(has_text=CUSTOMER[-4:])
        assert link.count() > 0, "the new conversation is not listed on /admin/conversations"
        match = re.search(r"/admin/conversations/(\d+)", link.first.get_attribute("href") or "")
        assert match
        return {"id": match.group(1), "first_answer": answered}
    finally:
        watched.context.close()
