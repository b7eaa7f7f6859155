import Foundation
import Hummingbird
import Storage

/// What the list and detail pages share: page numbers, dates, sizes, and document states in plain words.
enum PageSupport {
    /// The `?page=` of a request, from 1.
    static func pageNumber(_ request: Request) -> Int {
        max(1, request.uri.queryParameters["page"].flatMap { Int($0) } ?? 1)
    }

    /// The data of a pagination bar: "1–50 of 1 000" with previous and next links keeping the other parameters.
    static func pagination(
        page: Int,
        pageSize: Int,
        total: Int,
        path: String,
        parameters: [(String, String)],
        admin: AdminWeb,
        context: AdminRequestContext
    ) -> [String: Any] {
        let first = total == 0 ? 0 : (page - 1) * pageSize + 1
        let last = min(total, page * pageSize)
        var data: [String: Any] = [
            "summary": admin.text(
                "list_page_summary",
                context,
                ["first": number(first, context), "last": number(last, context), "total": number(total, context)]
            )
        ]
        func link(_ target: Int) -> String {
            let all = parameters.filter { !$0.1.isEmpty } + (target > 1 ? [("page", String(target))] : [])
            return all.isEmpty ? path : path + "?" + all.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
        }
        if page > 1 { data["previous"] = link(page - 1) }
        if last < total { data["next"] = link(page + 1) }
        return data
    }

    /// A number with the language's digit grouping.
    static func number(_ value: Int, _ context: AdminRequestContext) -> String {
        value.formatted(.number.locale(locale(context)))
    }

    /// A score with three decimals.
    static func score(_ value: Double, _ context: AdminRequestContext) -> String {
        value.formatted(.number.precision(.fractionLength(3)).locale(locale(context)))
    }

    /// Date and time in the language's style, in the server's time zone.
    static func dateTime(_ date: Date, _ context: AdminRequestContext) -> String {
        date.formatted(Date.FormatStyle(date: .numeric, time: .shortened).locale(locale(context)))
    }

    /// A machine-readable timestamp (`<time datetime>` and cursors): ISO 8601 with milliseconds, UTC.
    static func iso(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// Parses ``iso(_:)``.
    static func parseISO(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// `YYYY-MM-DD` in the server's time zone, as a date input sends it; `nil` when malformed.
    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else { return nil }
        return Calendar.current.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2]))
    }

    /// A size in binary units (50 MiB reads "50 MB", as the limit was configured), with the page language's decimal
    /// separator: "1,5 MB" in Portuguese, "1.5 MB" in English.
    static func bytes(_ count: Int64, _ context: AdminRequestContext) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(max(0, count))
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let digits = unit == 0 || value >= 10 || value == value.rounded() ? 0 : 1
        var text = String(format: "%.\(digits)f", value)
        if context.language == .portuguese { text = text.replacingOccurrences(of: ".", with: ",") }
        return "\(text) \(units[unit])"
    }

    static func locale(_ context: AdminRequestContext) -> Locale {
        Locale(identifier: context.language == .english ? "en_US" : "pt_BR")
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// `values` without its empty strings: Mustache treats `""` as true in `{{#key}}`, so optional texts are left out.
    static func compact(_ values: [String: Any]) -> [String: Any] {
        values.filter { !(($0.value as? String)?.isEmpty ?? false) }
    }

    /// At most `limit` characters of `text` on one line.
    static func snippet(_ text: String, limit: Int) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }

    // MARK: Documents

    /// The badge style of a document state.
    static func statusClass(_ status: DocumentStatus) -> String {
        switch status {
        case .indexed: return "badge-success"
        case .needsOCR: return "badge-warning"
        case .failed, .unreadable: return "badge-danger"
        case .queued, .extracting, .chunking, .embedding: return "badge-info"
        }
    }

    /// A document's state in the request's language.
    static func statusLabel(_ status: DocumentStatus, admin: AdminWeb, context: AdminRequestContext) -> String {
        admin.text("documents_status_\(status.rawValue)", context)
    }

    /// The status, with the pages read so far while a long scan is being read ("Extraindo · OCR 3/12").
    static func statusLabel(_ document: Document, admin: AdminWeb, context: AdminRequestContext) -> String {
        let label = statusLabel(document.status, admin: admin, context: context)
        guard document.status == .extracting, let done = document.progressDone, let total = document.progressTotal else { return label }
        return label + " · " + admin.text("documents_ocr_progress", context, ["done": String(done), "total": String(total)])
    }

    /// What went wrong with a document, in plain words (`nil` when nothing did).
    static func problem(_ document: Document, admin: AdminWeb, context: AdminRequestContext) -> String? {
        switch document.status {
        case .needsOCR: return admin.text("documents_problem_needs_ocr", context)
        case .unreadable: return admin.text("documents_problem_unreadable", context)
        case .failed:
            let reason = document.reason ?? ""
            if reason.localizedCaseInsensitiveContains("password") { return admin.text("documents_problem_password", context) }
            return admin.text("documents_problem_failed", context)
        case .queued:
            return document.reason.map { _ in admin.text("documents_problem_retrying", context) }
        case .indexed, .extracting, .chunking, .embedding: return nil
        }
    }

    /// A document as rows, the status JSON and the upload answer show it.
    static func documentRow(_ document: Document, admin: AdminWeb, context: AdminRequestContext) -> [String: Any] {
        let id = document.id ?? 0
        var row: [String: Any] = [
            "id": String(id),
            "url": "/admin/documents/\(id)",
            "filename": document.filename,
            "status": document.status.rawValue,
            "statusLabel": statusLabel(document, admin: admin, context: context),
            "statusClass": statusClass(document.status),
            "pages": document.pages.map { String($0) } ?? "—",
            "chunks": String(document.chunks),
            "size": bytes(document.bytes, context),
            "uploaded": dateTime(document.createdAt, context),
            "uploadedISO": iso(document.createdAt),
            "isFinal": document.status.isFinal,
        ]
        if let problem = problem(document, admin: admin, context: context) {
            row["problem"] = problem
            if let reason = document.reason, !reason.isEmpty { row["reason"] = reason }
        }
        if let ocr = ocrLabel(document, admin: admin, context: context) {
            row["ocr"] = ocr
            row["ocrClass"] = ocrClass(document)
            if let warning = ocrWarning(document, admin: admin, context: context) { row["ocrWarning"] = warning }
        }
        return row
    }

    /// "OCR 93 %" for a document whose text was read (in part) by OCR.
    static func ocrLabel(_ document: Document, admin: AdminWeb, context: AdminRequestContext) -> String? {
        guard let confidence = document.ocrConfidence else { return nil }
        return admin.text("documents_ocr_badge", context, ["confidence": String(Int((confidence * 100).rounded()))])
    }

    /// The OCR badge's class: a warning when some page was read with low confidence.
    static func ocrClass(_ document: Document) -> String {
        document.lowConfidencePages.isEmpty ? "badge-info" : "badge-warning"
    }

    /// Which pages OCR read with low confidence, for the owner to check.
    static func ocrWarning(_ document: Document, admin: AdminWeb, context: AdminRequestContext) -> String? {
        let pages = document.lowConfidencePages
        guard !pages.isEmpty else { return nil }
        return admin.text("documents_ocr_low_pages", context, ["pages": pages.map(String.init).joined(separator: ", ")])
    }
}

/// A document as the status JSON and the upload answer carry it (field names match `documents.js`).
struct DocumentStatusJSON: Encodable {
    var id: Int64
    var filename: String
    var url: String
    var status: String
    var statusLabel: String
    var statusClass: String
    var problem: String?
    var pages: String
    var chunks: String
    var size: String
    var uploaded: String
    var duplicate: Bool?
    var ocr: String?
    var ocrClass: String?
    var ocrWarning: String?

    enum CodingKeys: String, CodingKey {
        case id, filename, url, status, problem, pages, chunks, size, uploaded, duplicate, ocr
        case statusLabel = "status_label"
        case statusClass = "status_class"
        case ocrClass = "ocr_class"
        case ocrWarning = "ocr_warning"
    }

    init(_ document: Document, duplicate: Bool? = nil, admin: AdminWeb, context: AdminRequestContext) {
        id = document.id ?? 0
        filename = document.filename
        url = "/admin/documents/\(id)"
        status = document.status.rawValue
        statusLabel = PageSupport.statusLabel(document, admin: admin, context: context)
        statusClass = PageSupport.statusClass(document.status)
        problem = PageSupport.problem(document, admin: admin, context: context)
        pages = document.pages.map { String($0) } ?? "—"
        chunks = String(document.chunks)
        size = PageSupport.bytes(document.bytes, context)
        uploaded = PageSupport.dateTime(document.createdAt, context)
        self.duplicate = duplicate
        ocr = PageSupport.ocrLabel(document, admin: admin, context: context)
        ocrClass = ocr == nil ? nil : PageSupport.ocrClass(document)
        ocrWarning = PageSupport.ocrWarning(document, admin: admin, context: context)
    }
}
