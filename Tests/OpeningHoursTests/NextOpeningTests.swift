import Foundation
import OpeningHours
import Testing

struct NextOpeningTests {
    @Test func wednesdayNightOpensThursdayMorning() throws {
        let policy = OpeningHours()
        let now = try instant(2027, 3, 3, 23)
        #expect(policy.nextOpening(after: now) == (try instant(2027, 3, 4, 8)))
        #expect(policy.nextOpeningPhrase(after: now, language: "pt-BR") == "amanhã (quinta-feira) às 08:00")
        #expect(policy.nextOpeningPhrase(after: now, language: "en") == "tomorrow (Thursday) at 08:00")
    }

    @Test func openNowReturnsTheSameInstant() throws {
        let now = try instant(2027, 3, 3, 10, 15)
        #expect(OpeningHours().nextOpening(after: now) == now)
    }

    @Test func carnivalTuesdayOpensOnAshWednesday() throws {
        let policy = OpeningHours()
        let now = try instant(2027, 2, 9, 10)
        #expect(!policy.isOpen(at: now))
        #expect(policy.nextOpening(after: now) == (try instant(2027, 2, 10, 8)))
        #expect(policy.nextOpeningPhrase(after: now, language: "pt-BR") == "amanhã (quarta-feira) às 08:00")
    }

    @Test func carnivalSaturdaySkipsBothCarnivalDays() throws {
        let now = try instant(2027, 2, 6, 13)
        #expect(OpeningHours().nextOpening(after: now) == (try instant(2027, 2, 10, 8)))
    }

    @Test func splitShiftReopensAfterLunch() throws {
        let policy = OpeningHours(weekly: try WeeklySchedule(parsing: [.wednesday: "08:00-12:00, 13:00-18:00"]))
        let lunch = try instant(2027, 3, 3, 12, 30)
        #expect(!policy.isOpen(at: lunch))
        #expect(!policy.isOpen(at: try instant(2027, 3, 3, 12, 0)))
        #expect(policy.isOpen(at: try instant(2027, 3, 3, 13, 0)))
        #expect(policy.nextOpening(after: lunch) == (try instant(2027, 3, 3, 13)))
        #expect(policy.nextOpeningPhrase(after: lunch, language: "pt-BR") == "hoje às 13:00")
        #expect(policy.nextOpeningPhrase(after: lunch, language: "en") == "today at 13:00")
    }

    @Test func saturdayAfternoonOpensMonday() throws {
        let now = try instant(2027, 3, 6, 13)
        let policy = OpeningHours()
        #expect(policy.nextOpening(after: now) == (try instant(2027, 3, 8, 8)))
        #expect(policy.nextOpeningPhrase(after: now, language: "pt-BR") == "na segunda-feira às 08:00")
    }

    @Test func closedMondayExceptionMovesToTuesday() throws {
        let now = try instant(2027, 3, 6, 13)
        let policy = OpeningHours(exceptions: [DatedException(date: try day("2027-03-08"), name: "Dedetização")])
        #expect(policy.nextOpening(after: now) == (try instant(2027, 3, 9, 8)))
        #expect(policy.nextOpeningPhrase(after: now, language: "pt-BR") == "na terça-feira às 08:00")
    }

    @Test func specialHoursOpenASunday() throws {
        let fair = DatedException(date: try day("2027-03-07"), name: "Feira", intervals: try hours("09:00-13:00"))
        let policy = OpeningHours(exceptions: [fair])
        let saturday = try instant(2027, 3, 6, 13)
        #expect(policy.nextOpening(after: saturday) == (try instant(2027, 3, 7, 9)))
        #expect(policy.nextOpeningPhrase(after: saturday, language: "pt-BR") == "amanhã (domingo) às 09:00")
        #expect(policy.isOpen(at: try instant(2027, 3, 7, 10)))
        #expect(!OpeningHours().isOpen(at: try instant(2027, 3, 7, 10)))

        let closedSaturday = DatedException(date: try day("2027-03-06"), name: "Reforma")
        let friday = try instant(2027, 3, 5, 19)
        let phrase = OpeningHours(exceptions: [closedSaturday, fair]).nextOpeningPhrase(after: friday, language: "pt-BR")
        #expect(phrase == "no domingo às 09:00")
    }

    @Test func christmasEveNightOpensSaturday() throws {
        let now = try instant(2026, 12, 24, 19)
        let policy = OpeningHours()
        #expect(policy.nextOpening(after: now) == (try instant(2026, 12, 26, 8)))
        #expect(policy.nextOpeningPhrase(after: now, language: "pt-BR") == "no sábado às 08:00")
        #expect(policy.nextOpeningPhrase(after: now, language: "en") == "on Saturday at 08:00")
    }

    @Test func collectiveVacationAfterTheFridayBeforeChristmas() throws {
        let friday = try instant(2026, 12, 18, 19)
        let start = try day("2026-12-19")
        let untilDec28 = (0..<10).map { DatedException(date: start.adding(days: $0), name: "Férias coletivas") }
        let policy = OpeningHours(exceptions: untilDec28)
        #expect(policy.nextOpening(after: friday) == (try instant(2026, 12, 29, 8)))
        #expect(policy.nextOpeningPhrase(after: friday, language: "pt-BR") == "na terça-feira, 29 de dezembro, às 08:00")
        #expect(policy.nextOpeningPhrase(after: friday, language: "en") == "on Tuesday, December 29, at 08:00")

        let untilJan3 = (0..<16).map { DatedException(date: start.adding(days: $0), name: "Férias coletivas") }
        let longer = OpeningHours(exceptions: untilJan3)
        #expect(longer.nextOpening(after: friday) == (try instant(2027, 1, 4, 8)))
        #expect(longer.nextOpeningPhrase(after: friday, language: "pt-BR") == "na segunda-feira, 4 de janeiro de 2027, às 08:00")
        #expect(longer.nextOpeningPhrase(after: friday, language: "en") == "on Monday, January 4, 2027, at 08:00")
    }

    @Test func newYearsEveNightOpensSaturdayMorning() throws {
        let now = try instant(2026, 12, 31, 19)
        #expect(OpeningHours().nextOpening(after: now) == (try instant(2027, 1, 2, 8)))
    }

    @Test func neverOpenGivesNilWithoutLooping() throws {
        let now = try instant(2027, 3, 3, 23)
        let closed = OpeningHours(weekly: WeeklySchedule())
        #expect(closed.weekly.isAlwaysClosed)
        #expect(closed.nextOpening(after: now) == nil)
        #expect(closed.nextOpeningPhrase(after: now, language: "pt-BR") == nil)
        #expect(
            closed.handoffOutsideHours(at: now, language: "pt-BR")
                == "Certo! Estamos fora do horário de atendimento agora. Uma pessoa da nossa equipe vai responder assim que possível."
        )
    }

    @Test func searchHorizonIs400Days() throws {
        let now = try instant(2027, 3, 3, 23)
        let base = try day("2027-03-03")
        let soon = OpeningHours(
            weekly: WeeklySchedule(),
            exceptions: [
                DatedException(date: base.adding(days: 300), name: "Evento", intervals: try hours("10:00-11:00"))
            ]
        )
        let next = try #require(soon.nextOpening(after: now))
        #expect(LocalDate(next, in: soon.timeZone) == base.adding(days: 300))
        let tooFar = OpeningHours(
            weekly: WeeklySchedule(),
            exceptions: [
                DatedException(date: base.adding(days: 500), name: "Evento", intervals: try hours("10:00-11:00"))
            ]
        )
        #expect(tooFar.nextOpening(after: now) == nil)
    }

    @Test func nextOpeningIsAlwaysAnOpenInstant() throws {
        let policy = OpeningHours(weekly: try WeeklySchedule(parsing: [.monday: "08:00-12:00, 13:00-18:00", .thursday: "10:00-11:30"]))
        var now = try instant(2027, 1, 1, 0)
        for _ in 0..<200 {
            let next = try #require(policy.nextOpening(after: now))
            #expect(next >= now)
            #expect(policy.isOpen(at: next))
            #expect(policy.isOpen(at: now) == (next == now))
            if next != now {
                #expect(!policy.isOpen(at: next.addingTimeInterval(-60)), "an opening starts a stretch of open time")
            }
            now = now.addingTimeInterval(37 * 60 * 60 + 17 * 60)
        }
    }
}
