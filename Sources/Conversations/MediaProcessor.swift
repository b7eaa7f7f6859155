public import Foundation
public import Logging
public import Storage

/// Fetches, keeps and reads one customer's file, and records the outcome (which wakes the turn waiting for it).
///
/// Nothing is kept of a file that cannot be used: a refused type or size is refused before a byte is fetched, a
/// download that runs over the limit is discarded as it arrives, and a file the reader cannot read is deleted.
public struct MediaProcessor: Sendable {
    /// The store.
    public let database: AppDatabase
    /// Where fetched files are kept.
    public let store: CustomerMediaStore
    /// Fetches files from the channel.
    public let fetcher: any MediaFetching
    /// Reads them, isolated.
    public let reader: any MediaReading
    /// Limits and retention.
    public let settings: MediaSettings
    /// Where outcomes are logged.
    public let logger: Logger

    /// Creates a processor.
    public init(
        database: AppDatabase,
        store: CustomerMediaStore,
        fetcher: any MediaFetching,
        reader: any MediaReading,
        settings: MediaSettings,
        logger: Logger
    ) {
        self.database = database
        self.store = store
        self.fetcher = fetcher
        self.reader = reader
        self.settings = settings
        self.logger = logger
    }

    /// Works on a claimed file (its attempt already counted) and records how it ended. Throws only when the database
    /// fails; the file then stays `fetching` and is fetched again after a restart.
    public func process(_ media: CustomerMedia, now: @Sendable () -> Date = Date.init) async throws {
        let outcome = await attempt(media, now: now)
        var log = logger
        log[metadataKey: "media"] = "\(media.id ?? 0)"
        log[metadataKey: "conversation"] = "\(media.conversationId)"
        switch outcome {
        case .read(let text, let type, let bytes, _):
            log.info(
                "customer's file read",
                metadata: ["kind": "\(media.kind.rawValue)", "type": "\(type)", "bytes": "\(bytes)", "characters": "\(text.text.count)"]
            )
        case .failed(let failure, let detail):
            log.notice("customer's file not used", metadata: ["failure": "\(failure.rawValue)", "reason": "\(detail)"])
        case .retry(let detail, let at):
            log.warning(
                "customer's file could not be fetched; trying again",
                metadata: ["reason": "\(detail)", "attempt": "\(media.attempts)", "retry_at": "\(at)"]
            )
        }
        try await database.finishMedia(id: media.id!, outcome, now: now())
    }

    func attempt(_ media: CustomerMedia, now: () -> Date) async -> MediaAttemptOutcome {
        let stager: UploadStager
        do {
            stager = try store.stage(limit: settings.maxBytes)
        } catch {
            return .failed(.notStored, detail: "\(error)")
        }
        let fetched = await fetcher.fetch(
            media,
            acceptedTypes: MediaSettings.acceptedTypes(for: media.kind),
            maxBytes: settings.maxBytes,
            into: { try stager.append($0) }
        )
        let mimeType: String
        switch fetched {
        case .failed(let failure, let detail):
            stager.discard()
            return .failed(failure, detail: detail)
        case .retry(let detail):
            stager.discard()
            guard media.attempts < settings.maxAttempts else {
                return .failed(.unavailable, detail: "\(detail) (gave up after \(media.attempts) attempts)")
            }
            return .retry(detail: detail, retryAt: now().addingTimeInterval(fetcher.retryDelay(attempt: media.attempts)))
        case .fetched(let type):
            mimeType = type
        }
        let file: URL
        let download: StagedUpload
        do {
            download = try stager.finish()
            file = try store.keep(download, forMediaID: media.id!)
        } catch {
            stager.discard()
            return .failed(.notStored, detail: "\(error)")
        }
        do {
            let text = try await reader.read(fileAt: file, kind: media.kind, language: language(of: media))
            return .read(text, mimeType: mimeType, byteCount: Int(download.bytes), sha256: download.sha256)
        } catch {
            store.remove(mediaID: media.id!)
            return .failed(error.failure, detail: error.detail)
        }
    }

    /// The language of the agent answering the file's conversation (`pt-BR` when there is none).
    func language(of media: CustomerMedia) -> String? {
        let agent = (try? database.conversation(id: media.conversationId))?.agentId.flatMap { try? database.agent(id: $0) }
        return agent?.language ?? "pt-BR"
    }

    /// Deletes the files whose retention period is over (by `now`); returns how many.
    @discardableResult
    public func removeExpired(now: Date) async throws -> Int {
        var removed = 0
        while true {
            let expired = try database.mediaKept(before: now.addingTimeInterval(-settings.retention))
            if expired.isEmpty { return removed }
            for id in expired { store.remove(mediaID: id) }
            try await database.markMediaRemoved(expired, now: now)
            removed += expired.count
        }
    }
}
