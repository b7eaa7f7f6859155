import AsyncHTTPClient
import Crypto
public import Foundation

/// What `GET /{media-id}` says of a file a customer sent: where to download it (a short-lived URL that needs the
/// access token), its type, size and checksum.
public struct MediaInfo: Sendable, Equatable {
    /// The media id from the webhook.
    public var id: String
    /// The download URL (valid for about five minutes).
    public var url: String
    /// `mime_type`, e.g. `image/jpeg`, `application/pdf`, `audio/ogg; codecs=opus`.
    public var mimeType: String
    /// `sha256`, as Meta sends it (hex or base64).
    public var sha256: String?
    /// `file_size` in bytes, when given.
    public var fileSize: Int?

    /// The media type without parameters, lowercased (`audio/ogg` for `audio/ogg; codecs=opus`).
    public var baseMimeType: String {
        mimeType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// A media description.
    public init(id: String, url: String, mimeType: String, sha256: String? = nil, fileSize: Int? = nil) {
        self.id = id
        self.url = url
        self.mimeType = mimeType
        self.sha256 = sha256
        self.fileSize = fileSize
    }
}

/// What a download may be: at most `maxBytes`, of one of `allowedTypes` (media types without parameters).
public struct MediaLimits: Sendable, Equatable {
    /// The largest file taken.
    public var maxBytes: Int
    /// The media types taken (`image/jpeg`, `application/pdf`, …).
    public var allowedTypes: Set<String>

    /// Limits.
    public init(maxBytes: Int, allowedTypes: Set<String>) {
        self.maxBytes = maxBytes
        self.allowedTypes = Set(allowedTypes.map { $0.lowercased() })
    }
}

/// What a download received.
public struct DownloadedMedia: Sendable, Equatable {
    /// Its size.
    public var bytes: Int
    /// Its SHA-256, hex.
    public var sha256: String
    /// Its media type without parameters.
    public var mimeType: String
}

/// Why a media file could not be fetched. Only ``graph(_:)`` may be retried (by ``GraphAPIError/policy``); the others
/// are the file's own fault and end that message with a reason.
public enum MediaDownloadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The Graph API or the download failed; its policy says whether to retry.
    case graph(GraphAPIError)
    /// The file is larger than the limit (said by `file_size`, or found while downloading).
    case tooLarge(limit: Int)
    /// The file's type is not one this appliance reads.
    case unsupportedType(String)
    /// The bytes do not match the checksum Meta gave.
    case checksumMismatch
    /// The file could not be written here (a full disk, a read-only directory).
    case storage(String)

    /// Whether to try again later.
    public var policy: SendFailurePolicy {
        if case .graph(let error) = self { error.policy } else { .doNotRetry }
    }

    public var description: String {
        switch self {
        case .graph(let error): "media download failed: \(error)"
        case .tooLarge(let limit): "the file is larger than \(limit) bytes"
        case .unsupportedType(let type): "files of type \(type.prefix(100)) are not read"
        case .checksumMismatch: "the file does not match its SHA-256"
        case .storage(let reason): "the file could not be stored: \(reason)"
        }
    }
}

extension GraphAPIClient {
    /// `GET /{media-id}`: where and what a customer's file is.
    public func mediaInfo(id: String) async throws(GraphAPIError) -> MediaInfo {
        try Self.check(id: id, naming: "media id", maxLength: 128)
        let (status, data, retryAfter) = try await call(path: id, body: nil, phoneNumberID: "")
        try GraphAPIWire.checkReadResponse(status: status, body: data, retryAfter: retryAfter)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let url = object["url"] as? String, url.hasPrefix("https://") || url.hasPrefix("http://"),
            let mimeType = object["mime_type"] as? String
        else {
            throw .invalidResponse(status: status, body: String(decoding: data.prefix(200), as: UTF8.self))
        }
        // `file_size` is a number in some answers and a string in others.
        let size = (object["file_size"] as? Int) ?? (object["file_size"] as? String).flatMap { Int($0) }
        return MediaInfo(id: id, url: url, mimeType: mimeType, sha256: object["sha256"] as? String, fileSize: size)
    }

    /// Downloads `media` with the access token, within `limits`, handing each chunk to `sink` as it arrives (the
    /// caller stores it: the original store's stager keeps it in a temporary file and discards it on failure), and
    /// checks Meta's checksum when it gave one. A file too large by its `file_size`, or of a type not taken, is refused
    /// before a byte is fetched; one found too large stops the download there.
    public func downloadMedia(
        _ media: MediaInfo,
        limits: MediaLimits,
        into sink: (Data) throws -> Void
    ) async throws(MediaDownloadError) -> DownloadedMedia {
        let type = media.baseMimeType
        guard limits.allowedTypes.contains(type) else { throw .unsupportedType(media.mimeType) }
        if let size = media.fileSize, size > limits.maxBytes { throw .tooLarge(limit: limits.maxBytes) }
        var request = HTTPClientRequest(url: media.url)
        request.headers.add(name: "Authorization", value: "Bearer \(accessToken)")
        var hasher = SHA256()
        var count = 0
        do {
            let response = try await httpClient.execute(request, timeout: .seconds(max(60, Int64(timeout.components.seconds))))
            let status = Int(response.status.code)
            guard (200..<300).contains(status) else {
                var body: [UInt8] = []
                for try await chunk in response.body where body.count < 4096 { body.append(contentsOf: chunk.readableBytesView) }
                do {
                    try GraphAPIWire.checkReadResponse(status: status, body: Data(body), retryAfter: response.headers.first(name: "Retry-After"))
                } catch {
                    throw MediaDownloadError.graph(error)
                }
                throw MediaDownloadError.graph(.httpStatus(status, body: ""))
            }
            for try await chunk in response.body {
                count += chunk.readableBytes
                guard count <= limits.maxBytes else { throw MediaDownloadError.tooLarge(limit: limits.maxBytes) }
                let bytes = Data(chunk.readableBytesView)
                hasher.update(data: bytes)
                do { try sink(bytes) } catch { throw MediaDownloadError.storage("\(error)") }
            }
        } catch let error as MediaDownloadError {
            throw error
        } catch {
            throw .graph(Self.classify(error))
        }
        let digest = Array(hasher.finalize())
        let hex = digest.map { String(format: "%02x", $0) }.joined()
        if let expected = media.sha256?.trimmingCharacters(in: .whitespaces), !expected.isEmpty {
            guard expected.lowercased() == hex || expected == Data(digest).base64EncodedString() else { throw .checksumMismatch }
        }
        return DownloadedMedia(bytes: count, sha256: hex, mimeType: type)
    }
}
