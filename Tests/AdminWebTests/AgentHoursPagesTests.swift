import AdminWeb
import BalcaoApp
import Foundation
import GRDB
import HummingbirdTesting
import OpeningHours
import Storage
import Testing

/// `/admin/agents/{id}/hours`: the schedule editor with the year's national holidays, dated exceptions and the
/// outside-hours policy.
@Suite("Opening hours page")
struct AgentHoursPagesTests {
    static func auditActions(_ harness: AdminHarness) throws -> [String] {
        try harness.balcao.database.reader.read { db in try String.fetchAll(db, sql: "SELECT action FROM auditEntry ORDER BY id") }
    }

    /// Every national holiday listed, ticked closed except `worked`.
    static func holidayFields(working worked: Set<String> = []) -> [(String, String)] {
        BrazilianHolidays.keys.flatMap { key in [("holiday_listed", key)] + (worked.contains(key) ? [] : [("holiday_closed", key)]) }
    }

    @Test("the page lists the year's holidays with Carnival computed; saving a split-shift week, exceptions and a worked holiday")
    func editAndSave() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        let page = "/admin/agents/\(fixture.agentID)/hours"
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("operator", AdminHarness.operatorPassword)
            let form = try await browser.get(page + "?year=2027")
            #expect(form.status == .ok)
            #expect(form.text.contains(#"id="hours-form""#))
            #expect(form.text.contains("Feriados nacionais de 2027"))
            // Carnival Tuesday 2027 comes from Easter (28 March 2027): 9 February.
            #expect(form.text.contains("<td class=\"nowrap\">09/02/2027</td><td>Terça-feira</td><td>Terça-feira de Carnaval</td>"))
            #expect(form.text.contains("20/11/2027"), "Black Consciousness Day is national from 2024")
            #expect(form.text.contains(#"name="day_monday" value="08:00-18:00""#), "an agent without hours shows the standard week")
            #expect(!form.text.contains(#"name="enabled" value="1" checked"#))

            let saved = try await browser.post(
                page,
                [
                    ("enabled", "1"), ("time_zone", "America/Sao_Paulo"),
                    ("day_monday", "08:00-12:00, 13:00-18:00"), ("day_tuesday", "8h-12h, 13h-18h"), ("day_wednesday", "08:00-18:00"),
                    ("day_thursday", "08:00-18:00"), ("day_friday", "08:00-17:00"), ("day_saturday", "09:00-13:00"), ("day_sunday", ""),
                    ("observes_holidays", "1"),
                    ("exceptions", "2027-12-24 08:00-12:00 Véspera de Natal\n\n2027-12-31 fechado Réveillon"),
                    ("outside_hours", "away_message_only"), ("away_message", "Voltamos amanhã cedo!"),
                ] + Self.holidayFields(working: ["corpus-christi"])
            )
            #expect(saved.status == .seeOther)
            let agent = try #require(try database.agent(id: fixture.agentID))
            let hours = try #require(agent.openingHours)
            #expect(OpeningInterval.format(hours.weekly[.tuesday]) == "08:00-12:00, 13:00-18:00")
            #expect(hours.weekly[.sunday].isEmpty)
            #expect(hours.exceptions.map(\.name) == ["Véspera de Natal", "Réveillon"])
            #expect(hours.exceptions.last?.isClosedAllDay == true)
            #expect(hours.disabledHolidayKeys == ["corpus-christi"])
            #expect(agent.outsideHours == .awayMessageOnly)
            #expect(agent.awayMessage == "Voltamos amanhã cedo!")

            let shown = try await browser.get(page + "?year=2027")
            #expect(shown.text.contains(#"name="enabled" value="1" checked"#))
            #expect(shown.text.contains("2027-12-31 fechado Réveillon"))
            #expect(shown.text.contains(#"value="corpus-christi" aria-label="Fechado: Corpus Christi">"#), "a worked holiday is unticked")
            #expect(shown.text.contains(#"id="hours-status""#))
        }
        #expect(try Self.auditActions(harness).filter { $0.hasPrefix("agent.") } == ["agent.hours"])
    }

    @Test("overlapping intervals, an unknown time zone, a bad exception or a week that never opens are refused and nothing is saved")
    func refusals() async throws {
        let harness = try AdminHarness()
        try await harness.createUsers()
        let fixture = try await PagesFixture.seed(harness)
        let database = harness.balcao.database
        let page = "/admin/agents/\(fixture.agentID)/hours"
        try await harness.application().test(.router) { client in
            let browser = Browser(client)
            try await browser.signIn("owner", AdminHarness.ownerPassword)
            try await browser.get(page)
            let cases: [([(String, String)], String)] = [
                ([("day_monday", "08:00-12:00, 11:00-13:00")], "Segunda-feira"),
                ([("day_monday", "08:00-18:00"), ("time_zone", "America/Atlantis")], "America/Atlantis"),
                ([("day_monday", "08:00-18:00"), ("exceptions", "2027-02-30 fechado Dia que não existe")], "linha 1"),
                ([("day_monday", "08:00-18:00"), ("exceptions", "2027-12-24 <script>alert(1)</script>")], "linha 1"),
                ([], "nunca abre"),
            ]
            for (fields, message) in cases {
                let response = try await browser.post(page, [("enabled", "1"), ("outside_hours", "answer")] + fields)
                #expect(response.status == .unprocessableContent, "\(fields)")
                #expect(response.text.contains(message), "\(fields)")
                #expect(!response.text.contains("<script>alert(1)</script>"))
            }
            #expect(try database.agent(id: fixture.agentID)?.openingHours == nil)
        }
    }
}
