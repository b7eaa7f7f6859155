import Credits
import Foundation
import GRDB
import Hummingbird
import NIOCore
import Storage

/// `/admin/credits`: balance, ledger with filters and CSV export, owner-only top-up/adjustment and the low-balance
/// threshold.
enum CreditsPages: AdminPageModule {
    static let pageSize = 50
    static let thresholdKey = CreditLedger.lowBalanceThresholdSettingKey

    /// The ledger filter of a request (`kind`, `from`, `to` as local dates, `before` as an entry id for paging).
    struct Filter {
        var kind: CreditEntry.Kind?
        var from: Date?
        var to: Date?
        var fromText = ""
        var toText = ""
        var before: Int64?

        init(_ request: Request) {
            let query = request.uri.queryParameters
            kind = query["kind"].flatMap { CreditEntry.Kind(rawValue: String($0)) }
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = .current
            formatter.dateFormat = "yyyy-MM-dd"
            if let text = query["from"].map(String.init), let date = formatter.date(from: text) {
                from = date
                fromText = text
            }
            if let text = query["to"].map(String.init), let date = formatter.date(from: text) {
                to = Calendar.current.date(byAdding: .day, value: 1, to: date)
                toText = text
            }
            before = query["before"].flatMap { Int64(String($0)) }
        }

        /// What the ledger is asked for.
        var entries: CreditEntryFilter { CreditEntryFilter(kind: kind, from: from, before: to) }

        var queryString: String {
            var items: [String] = []
            if let kind { items.append("kind=\(kind.rawValue)") }
            if !fromText.isEmpty { items.append("from=\(fromText)") }
            if !toText.isEmpty { items.append("to=\(toText)") }
            return items.joined(separator: "&")
        }
    }

    /// The threshold in effect (micro-credits): the one saved here, else the configuration's; `nil` for none.
    static func effectiveThreshold(_ admin: AdminWeb) async throws -> Int64? {
        try await admin.environment.ledger.lowBalanceThreshold()?.micros
    }

    static func register(on routes: AdminRoutes) {
        let admin = routes.admin

        routes.get("credits") { request, context in
            let filter = Filter(request)
            let language = context.language
            let (entries, status) = try await admin.environment.ledger.page(filter.entries, olderThan: filter.before, limit: pageSize + 1)
            let threshold = status.lowBalanceThreshold?.micros
            let page = entries.prefix(pageSize)
            let rows: [[String: Any]] = page.map { entry in
                var row: [String: Any] = [
                    "id": entry.id ?? 0, "date": AdminFormat.dateTime(entry.createdAt, language),
                    "kind": admin.text("credits_kind_\(entry.kind.rawValue)", context), "kindClass": entry.kind == .debit ? "" : "badge-accent",
                    "amount": (entry.amount.micros > 0 ? "+" : "") + AdminFormat.credits(micros: entry.amount.micros, language),
                    "amountClass": entry.amount.micros >= 0 ? "positive" : "negative",
                    "reason": entry.reason, "actor": entry.actor,
                ]
                if let reference = entry.reference, !reference.isEmpty { row["reference"] = reference }
                return row
            }
            let kinds: [[String: Any]] = [
                ("", "credits_kind_all"), ("topUp", "credits_kind_topUp"), ("debit", "credits_kind_debit"), ("adjustment", "credits_kind_adjustment"),
            ]
            .map { ["value": $0.0, "label": admin.text($0.1, context), "selected": (filter.kind?.rawValue ?? "") == $0.0] }
            var data: [String: Any] = [
                "balance": AdminFormat.credits(micros: status.balance.micros, language),
                "reserved": AdminFormat.credits(micros: status.reserved.micros, language),
                "available": AdminFormat.credits(micros: status.available.micros, language),
                "threshold": threshold.map { AdminFormat.credits(micros: $0, language) } ?? "—",
                "thresholdValue": threshold.map { CreditAmount(micros: $0).formatted } ?? "",
                "lowBalance": admin.environment.answersAreMetered && status.isLow,
                "unmetered": !admin.environment.answersAreMetered,
                "entries": rows, "hasEntries": !rows.isEmpty,
                "kinds": kinds, "from": filter.fromText, "to": filter.toText,
                "filtered": filter.kind != nil || filter.from != nil || filter.to != nil,
                "csvHref": "/admin/credits.csv" + (filter.queryString.isEmpty ? "" : "?" + filter.queryString),
            ]
            if entries.count > pageSize, let last = page.last?.id {
                data["nextHref"] = "/admin/credits?" + (filter.queryString.isEmpty ? "" : filter.queryString + "&") + "before=\(last)"
            }
            if filter.before != nil {
                data["firstHref"] = "/admin/credits" + (filter.queryString.isEmpty ? "" : "?" + filter.queryString)
            }
            return admin.renderer.page("credits", titleKey: "credits_title", data: data, context: context)
        }

        routes.get("credits.csv") { request, context in
            let filter = Filter(request)
            // A whole-ledger export: rows are read as stored (no record or date decoding) and written straight into one buffer.
            var csv = ByteBuffer(string: "id,created_at,kind,amount,reason,actor,reference\r\n")
            try await admin.environment.ledger.export(filter.entries) { entry in
                csv.writeString(String(entry.id))
                csv.writeInteger(UInt8(ascii: ","))
                Self.writeCSVTimestamp(entry.storedCreatedAt, into: &csv)
                for field in [entry.kind, entry.amount.formatted, entry.reason, entry.actor, entry.reference] {
                    csv.writeInteger(UInt8(ascii: ","))
                    Self.writeCSVField(field, into: &csv)
                }
                csv.writeString("\r\n")
            }
            var headers: HTTPFields = [.contentType: "text/csv; charset=utf-8"]
            headers[.contentDisposition] = "attachment; filename=\"balcao-credits.csv\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: csv))
        }

        routes.post("credits/topup", access: .owner) { _, context, form in
            let reason = form.text("reason")
            let kind = form.text("kind") == "adjustment" ? CreditEntry.Kind.adjustment : .topUp
            guard let amount = CreditAmount(parsing: form.text("amount").replacingOccurrences(of: ",", with: ".")), amount.micros != 0,
                kind == .adjustment || amount.micros > 0
            else {
                return .redirect(to: "/admin/credits", flash: Flash(.error, admin.text("credits_invalid_amount", context)))
            }
            guard !reason.isEmpty, reason.count <= 500 else {
                return .redirect(to: "/admin/credits", flash: Flash(.error, admin.text("credits_reason_required", context)))
            }
            let ledger = admin.environment.ledger
            let actor = context.actorName
            if kind == .topUp {
                try await admin.environment.database.writer.write { db in
                    _ = try ledger.topUp(amount: amount, reason: reason, actor: actor, in: db)
                    try AdminAudit.record("credits.top_up", target: amount.formatted, detail: reason, context: context, in: db)
                }
            } else {
                _ = try await ledger.adjust(amount: amount, reason: reason, actor: actor)
                try await admin.audit.record("credits.adjust", target: amount.formatted, detail: reason, context: context)
            }
            let text = admin.text(
                kind == .topUp ? "credits_topped_up" : "credits_adjusted",
                context,
                ["amount": AdminFormat.credits(micros: amount.micros, context.language)]
            )
            return .redirect(to: "/admin/credits", flash: Flash(.success, text))
        }

        routes.post("credits/threshold", access: .owner) { _, context, form in
            let text = form.text("threshold").replacingOccurrences(of: ",", with: ".")
            guard let amount = CreditAmount(parsing: text), amount.micros >= 0 else {
                return .redirect(to: "/admin/credits", flash: Flash(.error, admin.text("credits_invalid_threshold", context)))
            }
            try await admin.environment.database.writer.write { db in
                try StoredSetting(key: thresholdKey, value: amount.formatted, sealed: nil, updatedAt: Date(), updatedBy: context.actorName).save(db)
                try AdminAudit.record("settings.update", target: thresholdKey, detail: amount.formatted, context: context, in: db)
            }
            return .redirect(to: "/admin/credits", flash: Flash(.success, admin.text("credits_threshold_saved", context)))
        }
    }

    /// A stored timestamp (`YYYY-MM-DD HH:MM:SS.SSS`, UTC) as ISO 8601 (`YYYY-MM-DDTHH:MM:SS.SSSZ`).
    static func writeCSVTimestamp(_ stored: String, into buffer: inout ByteBuffer) {
        var stored = stored
        stored.withUTF8 { bytes in
            guard bytes.count >= 19 else {
                buffer.writeBytes(bytes)
                return
            }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[..<10]))
            buffer.writeInteger(UInt8(ascii: "T"))
            buffer.writeBytes(UnsafeBufferPointer(rebasing: bytes[11...]))
            buffer.writeInteger(UInt8(ascii: "Z"))
        }
    }

    /// Writes a CSV field, byte by byte: quoted when it holds `,` `"` CR or LF (so also a CRLF line break); a leading
    /// `= + - @` TAB or CR is prefixed with `'` so spreadsheets do not run it as a formula (a plain number is left as is).
    static func writeCSVField(_ value: String, into buffer: inout ByteBuffer) {
        var value = value
        let guarded: Bool
        switch value.utf8.first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D: guarded = Double(value) == nil
        default: guarded = false
        }
        value.withUTF8 { bytes in
            let quoted = bytes.contains { byte in
                switch byte {
                case UInt8(ascii: ","), UInt8(ascii: "\""), 0x0A, 0x0D: true
                default: false
                }
            }
            if quoted { buffer.writeInteger(UInt8(ascii: "\"")) }
            if guarded { buffer.writeInteger(UInt8(ascii: "'")) }
            if quoted {
                for byte in bytes {
                    buffer.writeInteger(byte)
                    if byte == UInt8(ascii: "\"") { buffer.writeInteger(byte) }
                }
                buffer.writeInteger(UInt8(ascii: "\""))
            } else {
                buffer.writeBytes(bytes)
            }
        }
    }
}
