import BalcaoTesting
import Foundation
import Testing
import WhatsApp

/// A customer's file fetched by the real client from ``FakeGraphAPI`` over loopback HTTP: `GET /{media-id}`, then the
/// download URL with the access token, within the limits, checked against Meta's checksum.
@Suite("Media download over loopback")
struct MediaDownloadTests {
    static let limits = MediaLimits(maxBytes: 64 * 1024, allowedTypes: ["image/jpeg", "application/pdf", "audio/ogg"])

    /// Downloads into memory; returns what arrived with the result or the error.
    private func download(_ client: GraphAPIClient, _ info: MediaInfo) async -> (received: Data, result: Result<DownloadedMedia, MediaDownloadError>)
    {
        var received = Data()
        do {
            let downloaded = try await client.downloadMedia(info, limits: Self.limits) { received.append($0) }
            return (received, .success(downloaded))
        } catch {
            return (received, .failure(error))
        }
    }

    private func failure(_ result: Result<DownloadedMedia, MediaDownloadError>) -> MediaDownloadError? {
        if case .failure(let error) = result { return error }
        Issue.record("expected a failure")
        return nil
    }

    @Test("the Graph API's shared client has no idle read timeout: each call has its own deadline")
    // With one, AsyncHTTPClient 1.37.0 trapped the daemon (IdleReadStateMachine.requestEndSent) under the webhook
    // fuzzer: 3 of 4 bounded runs crashed; the fuzzer (make test) is the end-to-end check.
    func sharedClientHasNoIdleReadTimeout() {
        let configuration = GraphAPIClient.httpClientConfiguration()
        #expect(configuration.timeout.read == nil)
        #expect(configuration.timeout.connect == .seconds(10))
    }

    @Test("a voice note is described, downloaded with the token and checked, whichever way Meta writes its checksum")
    func downloads() async throws {
        try await withFakeGraphAPI { fake, client in
            let bytes = Data((0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            for checksum in [FakeGraphAPI.ChecksumEncoding.hex, .base64] {
                let id = fake.addMedia(bytes, mimeType: "audio/ogg; codecs=opus", checksum: checksum)
                let info = try await client.mediaInfo(id: id)
                #expect(info.id == id)
                #expect(info.mimeType == "audio/ogg; codecs=opus")
                #expect(info.baseMimeType == "audio/ogg")
                #expect(info.fileSize == bytes.count)
                #expect(info.url.contains("/whatsapp_business/attachments/"))
                let (received, result) = await download(client, info)
                let downloaded = try result.get()
                #expect(downloaded.bytes == bytes.count)
                #expect(downloaded.mimeType == "audio/ogg")
                #expect(received == bytes)
            }
        }
    }

    @Test("too large (said or found), a type not read, or a wrong checksum ends the file with a reason")
    func refusals() async throws {
        try await withFakeGraphAPI { fake, client in
            let big = Data(repeating: 7, count: 100_000)
            // Declared too large: refused before a byte is downloaded.
            let declared = try await client.mediaInfo(id: fake.addMedia(big, mimeType: "image/jpeg"))
            let before = fake.mediaDownloadCount
            let (nothing, declaredResult) = await download(client, declared)
            let tooLarge = failure(declaredResult)
            #expect(tooLarge == .tooLarge(limit: Self.limits.maxBytes))
            #expect(fake.mediaDownloadCount == before && nothing.isEmpty)
            // Declared small, but larger in fact: stopped while downloading.
            let lying = try await client.mediaInfo(id: fake.addMedia(big, mimeType: "image/jpeg", declaredSize: 10))
            let (partial, lyingResult) = await download(client, lying)
            let found = failure(lyingResult)
            #expect(found == .tooLarge(limit: Self.limits.maxBytes))
            #expect(partial.count <= Self.limits.maxBytes)
            // A type this appliance does not read.
            let video = try await client.mediaInfo(id: fake.addMedia(Data("v".utf8), mimeType: "video/mp4"))
            let type = failure(await download(client, video).result)
            #expect(type == .unsupportedType("video/mp4"))
            // Bytes that do not match the checksum.
            let corrupt = try await client.mediaInfo(id: fake.addMedia(Data("%PDF-1.4".utf8), mimeType: "application/pdf", checksum: .wrong))
            let mismatch = failure(await download(client, corrupt).result)
            #expect(mismatch == .checksumMismatch)
            for error in [tooLarge, found, type, mismatch] { #expect(error?.policy == .doNotRetry) }
        }
    }

    @Test("a failed download is retried by the send policy's rules; an unknown media id or a wrong token is not")
    func failuresFollowThePolicy() async throws {
        try await withFakeGraphAPI { fake, client in
            let info = try await client.mediaInfo(id: fake.addMedia(Data("olá".utf8), mimeType: "application/pdf"))
            fake.failNextMediaDownloads(1, status: 503)
            let unavailable = failure(await download(client, info).result)
            #expect(unavailable == .graph(.httpStatus(503, body: "")))
            #expect(unavailable?.policy == .retry)
            // The next attempt gets the file.
            #expect(try await download(client, info).result.get().bytes == 4)

            let stranger = GraphAPIClient(baseURL: fake.baseURL, accessToken: "wrong", timeout: .seconds(60))
            do {
                _ = try await stranger.mediaInfo(id: info.id)
                Issue.record("a wrong token read the media's description")
            } catch {
                #expect((error as? GraphAPIError)?.code == 190)
            }
            let denied = failure(await download(stranger, info).result)
            #expect(denied?.policy == .stopAndAlert)
            do {
                _ = try await client.mediaInfo(id: "../etc/passwd")
                Issue.record("a media id with a path in it was sent")
            } catch {
                #expect(error as? GraphAPIError == .invalidRequest("invalid media id \"../etc/passwd\""))
            }
        }
    }
}
