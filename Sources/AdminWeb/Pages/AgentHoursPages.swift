import Foundation
import Hummingbird
import OpeningHours
import Storage

/// `/admin/agents/{id}/hours`: an agent's opening hours — a weekly schedule with several intervals a day, dated
/// exceptions (holidays, special hours), Brazil's national holidays of the year each switchable — and what the
/// assistant does outside them.
enum AgentHoursPages: AdminPageModule {
    static func register(on routes: AdminRoutes) {
        let admin = routes.admin
        routes.get("agents/{id}/hours") { request, context in
            let agent = try AgentsPages.find(context, admin: admin)
            let year = request.uri.queryParameters.get("year", as: Int.self).flatMap { (1900...2200).contains($0) ? $0 : nil }
            return render(Form(agent), agent: agent, year: year, errors: [], context: context, admin: admin)
        }
        routes.post("agents/{id}/hours") { _, context, form in
            var agent = try AgentsPages.find(context, admin: admin)
            let submitted = Form(form)
            let (hours, errors) = submitted.openingHours(admin: admin, context: context)
            guard errors.isEmpty else {
                return render(submitted, agent: agent, year: nil, errors: errors, status: .unprocessableContent, context: context, admin: admin)
            }
            agent.openingHours = hours
            agent.outsideHours = submitted.policy
            agent.awayMessage = submitted.awayMessage.isEmpty ? nil : String(submitted.awayMessage.prefix(1000))
            try await admin.environment.database.save(&agent)
            try await admin.audit.record("agent.hours", target: String(agent.id!), detail: agent.name, context: context)
            return .redirect(
                to: "/admin/agents/\(agent.id!)/hours",
                flash: Flash(.success, admin.text("hours_saved", context, ["name": agent.name]))
            )
        }
    }

    /// The form's fields as text, as shown and as submitted.
    struct Form {
        var enabled: Bool
        var timeZone: String
        var days: [Weekday: String]
        var observesHolidays: Bool
        /// Keys of the national holidays the business works on.
        var workedHolidays: Set<String>
        /// One exception per line: `2027-12-24 08:00-12:00 Véspera de Natal`, `2027-12-31 fechado Réveillon`.
        var exceptions: String
        var policy: Agent.OutsideHoursPolicy
        var awayMessage: String

        /// The agent's saved hours (the standard ones, switched off, when it has none).
        init(_ agent: Agent) {
            let hours = agent.openingHours ?? OpeningHours()
            enabled = agent.openingHours != nil
            timeZone = hours.timeZoneIdentifier
            days = Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, OpeningInterval.format(hours.weekly[$0])) })
            observesHolidays = hours.observesNationalHolidays
            workedHolidays = hours.disabledHolidayKeys
            exceptions = hours.exceptions.map(Self.line).joined(separator: "\n")
            policy = agent.outsideHours
            awayMessage = agent.awayMessage ?? ""
        }

        /// What was submitted.
        init(_ form: AdminForm) {
            enabled = form["enabled"] == "1"
            timeZone = form.text("time_zone")
            days = Dictionary(uniqueKeysWithValues: Weekday.allCases.map { ($0, String(form.text("day_\($0.key)").prefix(200))) })
            observesHolidays = form["observes_holidays"] == "1"
            // The list shows each holiday with "closed" ticked; the ones left unticked are worked.
            let listed = Set(form.all("holiday_listed"))
            workedHolidays = listed.subtracting(form.all("holiday_closed"))
            exceptions = String(form.text("exceptions").prefix(20_000))
            policy = Agent.OutsideHoursPolicy(rawValue: form.text("outside_hours")) ?? .answer
            awayMessage = form.text("away_message")
        }

        /// An exception as one line of the form.
        static func line(_ exception: DatedException) -> String {
            let hours = exception.isClosedAllDay ? "fechado" : OpeningInterval.format(exception.intervals).replacingOccurrences(of: " ", with: "")
            return [exception.date.description, hours, exception.name].filter { !$0.isEmpty }.joined(separator: " ")
        }

        /// The hours the form describes (`nil` when switched off), or what is wrong with it, in the page's language.
        func openingHours(admin: AdminWeb, context: AdminRequestContext) -> (OpeningHours?, [String]) {
            var errors: [String] = []
            var hours = OpeningHours()
            hours.timeZoneIdentifier = timeZone.isEmpty ? OpeningHours.defaultTimeZoneIdentifier : timeZone
            if TimeZone(identifier: hours.timeZoneIdentifier) == nil {
                errors.append(admin.text("hours_error_time_zone", context, ["zone": hours.timeZoneIdentifier]))
            }
            for day in Weekday.allCases {
                do {
                    hours.weekly[day] = try OpeningInterval.parseList(days[day] ?? "")
                } catch {
                    errors.append(admin.text("hours_error_day", context, ["day": admin.text("hours_day_\(day.key)", context), "error": "\(error)"]))
                }
            }
            hours.observesNationalHolidays = observesHolidays
            hours.disabledHolidayKeys = workedHolidays.intersection(BrazilianHolidays.keys)
            var seen = Set<LocalDate>()
            for (number, line) in exceptions.split(whereSeparator: \.isNewline).enumerated() {
                let text = line.trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else { continue }
                do {
                    let exception = try Self.exception(text)
                    guard seen.insert(exception.date).inserted else {
                        errors.append(
                            admin.text("hours_error_exception_twice", context, ["line": String(number + 1), "date": exception.date.description])
                        )
                        continue
                    }
                    hours.exceptions.append(exception)
                } catch {
                    errors.append(admin.text("hours_error_exception", context, ["line": String(number + 1), "error": "\(error)"]))
                }
            }
            hours.exceptions.sort { $0.date < $1.date }
            if enabled && errors.isEmpty && hours.weekly.isAlwaysClosed && hours.exceptions.allSatisfy(\.isClosedAllDay) {
                errors.append(admin.text("hours_error_never_open", context))
            }
            return (enabled ? hours : nil, errors)
        }

        /// Reads `2027-12-24 08:00-12:00, 13:00-15:00 Véspera de Natal` or `2027-12-31 fechado Réveillon`: the date, then
        /// the intervals (or "fechado"/"closed") up to the first word that is neither, then the name.
        static func exception(_ line: String) throws -> DatedException {
            var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard !words.isEmpty else { throw OpeningHoursError.invalidDate("") }
            let date = try LocalDate(parsing: words.removeFirst())
            var hoursWords: [String] = []
            while let word = words.first,
                word.first?.isNumber == true || word == "," || word == "-" || word == "–"
                    || OpeningInterval.closedWords.contains(word.lowercased())
            {
                hoursWords.append(words.removeFirst())
            }
            guard !hoursWords.isEmpty else { throw OpeningHoursError.malformedInterval(line) }
            let intervals = try OpeningInterval.parseList(hoursWords.joined(separator: " "))
            return DatedException(date: date, name: words.joined(separator: " "), intervals: intervals)
        }
    }

    static func render(
        _ form: Form,
        agent: Agent,
        year requestedYear: Int?,
        errors: [String],
        status: HTTPResponse.Status = .ok,
        context: AdminRequestContext,
        admin: AdminWeb
    ) -> Response {
        let now = admin.configuration.now()
        let language = context.language
        let tag = language.rawValue
        let zone = TimeZone(identifier: form.timeZone) ?? TimeZone(identifier: OpeningHours.defaultTimeZoneIdentifier)!
        let year = requestedYear ?? LocalDate(now, in: zone).year
        // The year's list reflects what is saved (or, after a failed submit, the defaults with the ticks submitted).
        var listing = agent.openingHours ?? OpeningHours()
        listing.disabledHolidayKeys = form.workedHolidays
        listing.observesNationalHolidays = form.observesHolidays
        let holidays = BrazilianHolidays.holidays(in: year).map { holiday -> [String: Any] in
            [
                "key": holiday.key, "date": AdminFormat.date(holiday.date, language),
                "weekday": admin.text("hours_day_\(holiday.date.weekday.key)", context),
                "name": holiday.name(language: tag), "closed": listing.observes(holidayKey: holiday.key),
            ]
        }
        let days = Weekday.mondayFirst.map { day -> [String: Any] in
            ["key": day.key, "label": admin.text("hours_day_\(day.key)", context), "value": form.days[day] ?? ""]
        }
        var data: [String: Any] = [
            "agent": ["id": String(agent.id ?? 0), "name": agent.name] as [String: Any],
            "enabled": form.enabled, "timeZone": form.timeZone, "days": days,
            "observesHolidays": form.observesHolidays, "holidays": holidays, "year": String(year),
            "previousYear": String(year - 1), "nextYear": String(year + 1),
            "exceptions": form.exceptions,
            "policyAnswer": form.policy == .answer, "policyAway": form.policy == .awayMessageOnly,
            "awayMessage": form.awayMessage,
            "awayPlaceholder": admin.text("hours_away_default", context),
            "errors": errors, "hasErrors": !errors.isEmpty,
        ]
        if let hours = agent.openingHours {
            let open = hours.isOpen(at: now)
            data["statusOpen"] = open
            if !open {
                data["nextOpening"] = hours.nextOpeningPhrase(after: now, language: tag) ?? admin.text("hours_never", context)
            }
        }
        return admin.renderer.page("agent-hours", titleKey: "hours_title", data: data, status: status, context: context)
    }
}

extension Weekday {
    /// Monday to Sunday, as a Brazilian week is shown.
    static let mondayFirst: [Weekday] = [.monday, .tuesday, .wednesday, .thursday, .friday, .saturday, .sunday]
}

extension AdminFormat {
    /// A calendar date in the page's language: `09/02/2027`, `02/09/2027`.
    static func date(_ date: LocalDate, _ language: AdminLanguage) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return language == .english ? "\(two(date.month))/\(two(date.day))/\(date.year)" : "\(two(date.day))/\(two(date.month))/\(date.year)"
    }
}
