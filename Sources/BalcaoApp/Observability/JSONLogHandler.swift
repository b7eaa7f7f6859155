import Foundation
public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Writes each log event as one JSON object on one line (for journald, Loki, `jq`):
///
/// ```json
/// {"time":"2025-06-01T12:00:00.123Z","level":"info","logger":"balcao","message":"indexed","request_id":"…","chunks":"12"}
/// ```
/// Metadata keys become fields; Hummingbird's `hb.request.id` is written as `request_id`.
public struct JSONLogHandler: LogHandler {
    /// Where finished lines go (standard output by default).
    public typealias Sink = @Sendable (String) -> Void

    /// The logger's label.
    public let label: String
    /// The lowest level written.
    public var logLevel: Logger.Level
    /// Metadata added to every event of this logger.
    public var metadata: Logger.Metadata = [:]
    /// Task-local metadata, added to every event.
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: Sink

    /// A handler writing to `sink`, standard output when omitted.
    public init(label: String, level: Logger.Level = .info, metadataProvider: Logger.MetadataProvider? = nil, sink: Sink? = nil) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.sink = sink ?? Self.standardOutput
    }

    /// One metadata value of this logger.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes one event as one line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        var line = "{\"time\":\(Self.quote(Self.timestamp()))"
        line += ",\"level\":\(Self.quote(event.level.rawValue))"
        line += ",\"logger\":\(Self.quote(label))"
        line += ",\"message\":\(Self.quote(event.message.description))"
        if let error = event.error { line += ",\"error\":\(Self.quote("\(error)"))" }
        for key in merged.keys.sorted() {
            let name = key == "hb.request.id" ? "request_id" : key
            guard !["time", "level", "logger", "message"].contains(name) else { continue }
            line += ",\(Self.quote(name)):\(Self.json(merged[key]!))"
        }
        line += "}\n"
        sink(line)
    }

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): return quote(text)
        case .stringConvertible(let convertible): return quote(convertible.description)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries): return "{" + entries.keys.sorted().map { "\(quote($0)):\(json(entries[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = time_t(now.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            parts.tm_year + 1900,
            parts.tm_mon + 1,
            parts.tm_mday,
            parts.tm_hour,
            parts.tm_min,
            parts.tm_sec,
            now.tv_nsec / 1_000_000
        )
    }

    /// One `write(2)` per line, so lines from concurrent tasks never interleave.
    static let standardOutput: Sink = { line in
        let bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

/// How logs are written: `[log] format`, or by default JSON when nobody reads them at a terminal.
public enum LogFormat: String, Sendable {
    /// One JSON object per line.
    case json
    /// swift-log's human-readable lines.
    case text

    /// The configured format, or JSON when standard output is not a terminal or systemd's journal receives it
    /// (`JOURNAL_STREAM`), text otherwise.
    public static func resolve(configured: String?, environment: [String: String], stdoutIsTerminal: Bool) -> LogFormat {
        if let configured, let format = LogFormat(rawValue: configured) { return format }
        if environment["JOURNAL_STREAM"].map({ !$0.isEmpty }) == true || !stdoutIsTerminal { return .json }
        return .text
    }

    /// Installs this format as the process's logging backend (once, at start of `balcao serve`).
    public func bootstrap(level: Logger.Level) {
        switch self {
        case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardOutput(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}
