import Crypto
public import Foundation
import Hummingbird
import NIOCore

/// Media a customer sent, as Meta serves it: `GET /{version}/{media-id}` answers
/// `{"messaging_product":"whatsapp","url":…,"mime_type":…,"sha256":…,"file_size":…,"id":…}`, and the URL (on the
/// fake's own lookaside path, `/whatsapp_business/attachments/?mid=…`) answers the bytes to a request with the access
/// token. Both answer 401 / code 190 without it.
extension FakeGraphAPI {
    /// A file the fake serves.
    struct StoredMedia: Sendable {
        var bytes: Data
        var mimeType: String
        var sha256: String
        var declaredSize: Int?
    }

    /// How the fake writes a file's checksum in `GET /{media-id}`.
    public enum ChecksumEncoding: Sendable {
        /// 64 hex digits.
        case hex
        /// Base64 of the 32 bytes.
        case base64
        /// A checksum of other bytes (to test that a download is checked).
        case wrong
    }

    /// Serves `bytes` as a media file of `mimeType`; returns its media id (the `id` of an image, document, audio or
    /// sticker in a webhook). `declaredSize` replaces the real size in `file_size` (`nil`: the real one).
    @discardableResult
    public func addMedia(
        _ bytes: Data,
        mimeType: String,
        id: String? = nil,
        checksum: ChecksumEncoding = .hex,
        declaredSize: Int? = nil
    ) -> String {
        let digest = Array(SHA256.hash(data: bytes))
        let sha256: String =
            switch checksum {
            case .hex: digest.map { String(format: "%02x", $0) }.joined()
            case .base64: Data(digest).base64EncodedString()
            case .wrong: String(repeating: "0", count: 64)
            }
        return state.withLock { state in
            let mediaID = id ?? "\(1_000_000_000_000_000 + state.media.count + 1)"
            state.media[mediaID] = StoredMedia(bytes: bytes, mimeType: mimeType, sha256: sha256, declaredSize: declaredSize ?? bytes.count)
            return mediaID
        }
    }

    /// The next `count` downloads answer HTTP `status`, without a body, instead of the bytes.
    public func failNextMediaDownloads(_ count: Int = 1, status: Int) {
        state.withLock { $0.mediaDownloadFailures.append(contentsOf: Array(repeating: status, count: count)) }
    }

    /// How many downloads were asked for (answered or failed).
    public var mediaDownloadCount: Int { state.withLock { $0.mediaDownloads } }

    func mediaInfo(_ request: Request, id: String, media: StoredMedia) -> Response {
        if let refusal = refusingWrongToken(request) { return refusal }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let url = "http://127.0.0.1:\(port)/whatsapp_business/attachments/?mid=\(id)&ext=\(Int(Date().timeIntervalSince1970))&hash=fake"
        var object: [String: Any] = ["messaging_product": "whatsapp", "url": url, "mime_type": media.mimeType, "sha256": media.sha256, "id": id]
        if let size = media.declaredSize { object["file_size"] = String(size) }
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    func downloadMedia(_ request: Request) async -> Response {
        let id = request.uri.queryParameters["mid"].map(String.init) ?? ""
        let (media, failure) = state.withLock { state -> (StoredMedia?, Int?) in
            state.mediaDownloads += 1
            let failure = state.mediaDownloadFailures.isEmpty ? nil : state.mediaDownloadFailures.removeFirst()
            return (state.media[id], failure)
        }
        if let failure { return Response(status: .init(code: failure)) }
        if let refusal = refusingWrongToken(request) { return refusal }
        guard let media else { return Response(status: .notFound) }
        var headers = HTTPFields()
        headers[.contentType] = media.mimeType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: media.bytes)))
    }
}
