"""A customer whose 24 hours are over: the conversation page offers the account's approved templates (served by the
fake Graph API in Meta's wire format), and the one the owner fills in goes out as a template with its parameters.
Screenshots in test-artifacts/browser/late-reply-*.png."""

from __future__ import annotations

import re
import time

import harness
from conftest import submit


def test_a_late_reply_goes_out_as_the_chosen_template(owner, daemon, fakes, agent):
    _, graph = fakes
    customer = "5511999990077"
    sent_at = time.time() - 25 * 3600
    status = daemon.post_webhook(harness.text_webhook("Vocês entregam no domingo?", customer, "Joana Tardia", sent_at=sent_at))
    assert status == 200
    page = owner.page
    thread = None
    deadline = time.monotonic() + 30
    while thread is None and time.monotonic() < deadline:
        owner.open("/admin/conversations")
        link = page.locator("a[href*='/admin/conversations/']").filter(has_text="Joana Tardia")
        if link.count():
            thread = re.search(r"/admin/conversations/\d+", link.first.get_attribute("href") or "").group(0)
        else:
            time.sleep(0.3)
    assert thread, "the conversation never appeared"
    owner.open(thread)
    picker = page.locator("#template-picker")
    assert "retomar_atendimento" in picker.inner_text()
    assert "pedido_pronto" in picker.inner_text()
    assert "promo_natal" not in picker.inner_text(), "a rejected template is offered"
    template = picker.locator("details").filter(has_text="retomar_atendimento")
    template.locator("summary").click()
    fields = template.locator('input[name="parameter"]')
    assert fields.count() == 2
    fields.nth(0).fill("Joana")
    fields.nth(1).fill("a entrega de domingo")
    owner.shot("late-reply-template")
    submit(page, template.locator("form"))

    def sent_template():
        with graph.lock:
            for record in graph.requests:
                payload = record.get("json") or {}
                if payload.get("to") == customer and payload.get("type") == "template" and record.get("status") == 200:
                    return payload["template"]
        return None

    deadline = time.monotonic() + 30
    while sent_template() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    chosen = sent_template()
    assert chosen, "no template reached the Graph API"
    assert chosen["name"] == "retomar_atendimento" and chosen["language"]["code"] == "pt_BR"
    assert [p["text"] for p in chosen["components"][0]["parameters"]] == ["Joana", "a entrega de domingo"]
    owner.open(thread)
    assert "Olá, Joana! Aqui é da loja, sobre a sua mensagem: a entrega de domingo." in page.inner_text("body")
    owner.shot("late-reply-sent")

    with page.expect_navigation():
        page.locator('.lang-switch a[hreflang="en"]').first.click()
    owner.open(thread)
    assert "Approved templates" in page.locator("#template-picker").inner_text()
    owner.shot("late-reply-en")
    with page.expect_navigation():
        page.locator('.lang-switch a[hreflang="pt-BR"], .lang-switch a[hreflang="pt"]').first.click()
    assert owner.console_errors == [], owner.console_errors
