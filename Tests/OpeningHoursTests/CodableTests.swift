import Foundation
import OpeningHours
import Testing

struct CodableTests {
    private func roundTrip(_ policy: OpeningHours) throws -> OpeningHours {
        try JSONDecoder().decode(OpeningHours.self, from: JSONEncoder().encode(policy))
    }

    @Test func richPolicyRoundTrips() throws {
        let policy = OpeningHours(
            timeZoneIdentifier: "America/Manaus",
            weekly: try WeeklySchedule(parsing: [.monday: "08:00-12:00, 13:30-18:00", .friday: "18:00-24:00", .saturday: "00:00-02:00"]),
            exceptions: [
                DatedException(date: try day("2027-02-10"), name: "Quarta de Cinzas", intervals: try hours("12:00-18:00")),
                DatedException(date: try day("2027-12-24"), name: "Véspera de Natal"),
            ],
            observesNationalHolidays: true,
            disabledHolidayKeys: ["carnival-monday", "all-souls"]
        )
        #expect(try roundTrip(policy) == policy)
        #expect(try roundTrip(.alwaysOpen) == .alwaysOpen)
        #expect(try roundTrip(OpeningHours()) == OpeningHours())
    }

    @Test func jsonIsReadable() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let policy = OpeningHours(
            exceptions: [DatedException(date: try day("2027-02-09"), name: "Plantão", intervals: try hours("9h-12h"))],
            disabledHolidayKeys: ["republic", "carnival-tuesday"]
        )
        let json = try #require(String(data: try encoder.encode(policy), encoding: .utf8))
        #expect(json.contains(#""date":"2027-02-09""#))
        #expect(json.contains(#""monday":[{"end":"18:00","start":"08:00"}]"#))
        #expect(json.contains(#""sunday":[]"#))
        #expect(json.contains(#""disabledHolidayKeys":["carnival-tuesday","republic"]"#))
    }

    @Test func missingFieldsTakeDefaults() throws {
        let decoded = try JSONDecoder().decode(OpeningHours.self, from: Data("{}".utf8))
        #expect(decoded == OpeningHours())
        let partial = #"{"weekly": {"monday": [{"start": "10:00", "end": "16:00"}]}, "exceptions": [{"date": "2027-03-01"}]}"#
        let policy = try JSONDecoder().decode(OpeningHours.self, from: Data(partial.utf8))
        #expect(OpeningInterval.format(policy.weekly[.monday]) == "10:00-16:00")
        #expect(policy.weekly[.tuesday].isEmpty)
        #expect(policy.exceptions.first?.isClosedAllDay == true)
    }

    @Test(arguments: [
        #"{"weekly": {"monday": [{"start": "12:00", "end": "08:00"}]}}"#,
        #"{"weekly": {"monday": [{"start": "25:00", "end": "26:00"}]}}"#,
        #"{"exceptions": [{"date": "2027-02-30", "name": "x", "intervals": []}]}"#,
    ])
    func invalidStoredDataIsRejected(json: String) {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OpeningHours.self, from: Data(json.utf8)) }
    }
}
