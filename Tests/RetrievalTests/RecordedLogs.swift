import Logging
import Synchronization

/// Keeps every log event, for tests whose behaviour is a log line.
final class RecordedLogs: LogHandler, Sendable {
    private let events = Mutex<[(message: String, metadata: Logger.Metadata)]>([])

    /// The events logged so far whose message is `message`, with their metadata.
    func metadata(of message: String) -> [Logger.Metadata] {
        events.withLock { $0.filter { $0.message == message }.map(\.metadata) }
    }

    /// Forgets what was logged.
    func clear() { events.withLock { $0.removeAll() } }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }
    var logLevel: Logger.Level {
        get { .trace }
        set {}
    }
    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }
    func log(event: LogEvent) {
        events.withLock { $0.append((event.message.description, event.metadata ?? [:])) }
    }
}
