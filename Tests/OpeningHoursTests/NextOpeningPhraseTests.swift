import Foundation
import OpeningHours
import Testing

struct NextOpeningPhraseTests {
    private func phrase(_ opening: Date, now: Date, _ language: String) throws -> String {
        NextOpeningPhrase.phrase(for: opening, relativeTo: now, timeZone: try #require(TimeZone(identifier: saoPaulo)), language: language)
    }

    @Test func eachDistanceInPortuguese() throws {
        let now = try instant(2027, 2, 1, 7, 30)
        #expect(try phrase(instant(2027, 2, 1, 14), now: now, "pt-BR") == "hoje às 14:00")
        #expect(try phrase(instant(2027, 2, 2, 8), now: now, "pt-BR") == "amanhã (terça-feira) às 08:00")
        #expect(try phrase(instant(2027, 2, 4, 8), now: now, "pt-BR") == "na quinta-feira às 08:00")
        #expect(try phrase(instant(2027, 2, 6, 9, 5), now: now, "pt-BR") == "no sábado às 09:05")
        #expect(try phrase(instant(2027, 2, 7, 8), now: now, "pt-BR") == "no domingo às 08:00")
        #expect(try phrase(instant(2027, 2, 8, 8), now: now, "pt-BR") == "na segunda-feira, 8 de fevereiro, às 08:00")
        #expect(try phrase(instant(2027, 2, 10, 8), now: now, "pt") == "na quarta-feira, 10 de fevereiro, às 08:00")
        #expect(try phrase(instant(2027, 3, 13, 8), now: now, "pt-BR") == "no sábado, 13 de março, às 08:00")
    }

    @Test func eachDistanceInEnglish() throws {
        let now = try instant(2027, 2, 1, 7, 30)
        #expect(try phrase(instant(2027, 2, 1, 14), now: now, "en") == "today at 14:00")
        #expect(try phrase(instant(2027, 2, 2, 8), now: now, "en-US") == "tomorrow (Tuesday) at 08:00")
        #expect(try phrase(instant(2027, 2, 4, 8), now: now, "EN-gb") == "on Thursday at 08:00")
        #expect(try phrase(instant(2027, 2, 10, 8), now: now, "en") == "on Wednesday, February 10, at 08:00")
    }

    @Test func nonEnglishTagsFallBackToPortuguese() throws {
        let now = try instant(2027, 2, 1, 7, 30)
        for tag in ["", "es", "pt-PT", "fr", "de-DE"] {
            #expect(try phrase(instant(2027, 2, 1, 14), now: now, tag) == "hoje às 14:00")
        }
        #expect(PhraseLanguage(tag: " en_US ") == .english)
        #expect(PhraseLanguage(tag: "pt-BR") == .portuguese)
    }

    @Test func daysAreCountedOnTheLocalCalendarNotIn24HourSteps() throws {
        let now = try instant(2027, 3, 3, 23, 30)
        #expect(try phrase(instant(2027, 3, 4, 0, 15), now: now, "pt-BR") == "amanhã (quinta-feira) às 00:15")
    }

    @Test func everyWeekdayAndMonthIsSpelledByHand() throws {
        let now = try instant(2027, 1, 1, 0)
        let expected = [
            "janeiro", "fevereiro", "março", "abril", "maio", "junho",
            "julho", "agosto", "setembro", "outubro", "novembro", "dezembro",
        ]
        for (index, month) in expected.enumerated() {
            let text = try phrase(instant(2027, index + 1, 20, 10), now: now, "pt-BR")
            #expect(text.contains(", 20 de \(month), às 10:00"), "\(text)")
        }
        #expect(
            Weekday.allCases.map(\.portugueseName)
                == ["domingo", "segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira", "sábado"]
        )
        #expect(Weekday.allCases.map(\.englishName) == ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"])
    }

    @Test func handoffSentences() {
        #expect(
            NextOpeningPhrase.handoffOutsideHours(next: "amanhã (quinta-feira) às 08:00", language: "pt-BR")
                == "Certo! Estamos fora do horário de atendimento agora. "
                + "Uma pessoa da nossa equipe vai responder quando abrirmos, amanhã (quinta-feira) às 08:00."
        )
        #expect(
            NextOpeningPhrase.handoffOutsideHours(next: "tomorrow (Thursday) at 08:00", language: "en")
                == "Sure! We're outside business hours right now. A member of our team will answer when we open, tomorrow (Thursday) at 08:00."
        )
        #expect(
            NextOpeningPhrase.handoffOutsideHours(next: nil, language: "pt-BR")
                == "Certo! Estamos fora do horário de atendimento agora. Uma pessoa da nossa equipe vai responder assim que possível."
        )
        #expect(
            NextOpeningPhrase.handoffOutsideHours(next: nil, language: "en")
                == "Sure! We're outside business hours right now. A member of our team will answer as soon as possible."
        )
    }

    @Test func handoffFromThePolicy() throws {
        let text = OpeningHours().handoffOutsideHours(at: try instant(2027, 3, 3, 23), language: "pt-BR")
        #expect(text.hasSuffix("vai responder quando abrirmos, amanhã (quinta-feira) às 08:00."))
    }
}
