"""The opening-hours editor in the browser: a split shift and a special date saved, the year's national holidays
listed with Carnival computed, a worked holiday unticked, errors shown in place, the page in Portuguese and English.
Screenshots in test-artifacts/browser/hours-*.png."""

from __future__ import annotations

from conftest import fill, submit


def test_the_hours_editor_saves_a_split_shift_and_lists_the_years_holidays(owner, agent):
    page = owner.page
    path = f"/admin/agents/{agent['id']}/hours?year=2027"
    owner.open(path)
    form = page.locator("#hours-form")
    table = page.locator("#holidays-table")
    assert "Terça-feira de Carnaval" in table.inner_text()
    assert "09/02/2027" in table.inner_text(), "Carnival Tuesday 2027 is 9 February (Easter on 28 March)"
    form.locator('input[name="enabled"]').check()
    fill(form, "day_monday", "08:00-12:00, 13:00-18:00")
    fill(form, "day_saturday", "")
    fill(form, "exceptions", "2027-12-24 08:00-12:00 Véspera de Natal")
    form.locator('input[name="holiday_closed"][value="corpus-christi"]').uncheck()
    owner.shot("hours-editing")
    submit(page, form)
    assert page.locator(".flash").first.inner_text().strip() != ""
    owner.open(path)
    assert page.locator('input[name="day_monday"]').input_value() == "08:00-12:00, 13:00-18:00"
    assert page.locator('input[name="day_saturday"]').input_value() == ""
    assert not page.locator('input[name="holiday_closed"][value="corpus-christi"]').is_checked()
    assert page.locator('input[name="holiday_closed"][value="carnival-tuesday"]').is_checked()
    assert page.locator("#hours-status").count() == 1
    owner.shot("hours-saved")

    # A mistake is shown with the day it is on, and nothing typed is lost.
    form = page.locator("#hours-form")
    fill(form, "day_tuesday", "08:00-12:00, 11:00-13:00")
    submit(page, form)
    assert "Terça-feira" in page.locator(".alert-error").inner_text()
    assert page.locator('input[name="day_tuesday"]').input_value() == "08:00-12:00, 11:00-13:00"
    owner.shot("hours-error")
    # The refused form answers 422, which Chromium logs as a failed load: that one is expected.
    assert all("422" in error for error in owner.console_errors), owner.console_errors
    owner.console_errors.clear()

    with page.expect_navigation():
        page.locator('.lang-switch a[hreflang="en"]').first.click()
    owner.open(path)
    assert page.get_attribute("html", "lang") == "en"
    assert "Carnival Tuesday" in page.locator("#holidays-table").inner_text()
    assert "02/09/2027" in page.locator("#holidays-table").inner_text()
    owner.shot("hours-en")
    with page.expect_navigation():
        page.locator('.lang-switch a[hreflang="pt-BR"], .lang-switch a[hreflang="pt"]').first.click()
    assert owner.console_errors == [], owner.console_errors
    assert owner.dialogs == []
