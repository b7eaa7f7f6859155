import Foundation
import Hummingbird
import Ingestion
import MultipartKit
import NIOCore
import Storage

/// A `multipart/form-data` upload read from a request body stream: the `file` part is written to a staged file as it
/// arrives (hashed and size-limited), small text fields are kept in memory.
struct MultipartUpload {
    /// The staged file.
    var file: StagedUpload
    /// The file name the client sent.
    var filename: String
    /// The other fields (`agent`, `password`).
    var fields: [String: String]

    /// Reads the body; throws ``APIError`` for malformed requests and oversize files, ``StorageError`` when the disk is
    /// full or read-only (nothing is kept on error).
    static func read(_ request: Request, originals: OriginalStore, limit: Int) async throws -> MultipartUpload {
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = MultipartHeaders.boundary(in: contentType)
        else {
            throw APIError(
                .unsupportedMediaType,
                code: "unsupported_media_type",
                message: "Send the file as multipart/form-data with a field named “file”."
            )
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit + 64 * 1024 {
            throw Self.tooLarge(limit)
        }
        let collector = Collector(stager: try originals.stage(limit: limit))
        let parser = MultipartParser(boundary: boundary)
        var headerNames = MultipartHeaderNameGuard(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name: name, value: value) }
        parser.onBody = { buffer in collector.body(&buffer) }
        parser.onPartComplete = { collector.partComplete() }
        do {
            for try await buffer in request.body {
                try headerNames.check(buffer.readableBytesView)
                try parser.execute(buffer)
                if let error = collector.error { throw error }
            }
            guard collector.sawFile else {
                throw APIError.badRequest("The request has no field named “file”.")
            }
            let staged = try collector.stager.finish()
            return MultipartUpload(file: staged, filename: collector.filename ?? "document", fields: collector.fields)
        } catch let error as UploadError {
            collector.stager.discard()
            if case .tooLarge = error { throw Self.tooLarge(limit) }
            throw error
        } catch let error as APIError {
            collector.stager.discard()
            throw error
        } catch let error as StorageError {
            // Answered 507/503 by StorageFailureMiddleware; the partial file is gone already.
            collector.stager.discard()
            throw error
        } catch {
            collector.stager.discard()
            throw APIError.badRequest("The multipart body could not be read: \(error)")
        }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "too_large", message: UploadError.tooLarge(limit: limit).description)
    }

    /// Parser state; the parser's callbacks cannot throw, so the first error is kept and rethrown by the reader.
    private final class Collector {
        let stager: UploadStager
        var fields: [String: String] = [:]
        var filename: String?
        var sawFile = false
        var error: (any Error)?
        private var currentName: String?
        private var currentIsFile = false
        private var fieldBytes: [UInt8] = []

        init(stager: UploadStager) {
            self.stager = stager
        }

        func header(name: String, value: String) {
            guard name.lowercased() == "content-disposition" else { return }
            currentName = MultipartHeaders.dispositionParameter("name", in: value)
            currentIsFile = currentName == "file"
            if currentIsFile {
                sawFile = true
                filename = MultipartHeaders.dispositionParameter("filename", in: value)
            }
        }

        func body(_ buffer: inout ByteBuffer) {
            guard error == nil else { return }
            if currentIsFile {
                do { try stager.append(buffer.readableBytesView) } catch { self.error = error }
            } else if fieldBytes.count + buffer.readableBytes <= 64 * 1024 {
                fieldBytes.append(contentsOf: buffer.readableBytesView)
            } else {
                error = APIError.badRequest("A form field is too long.")
            }
        }

        func partComplete() {
            if let currentName, !currentIsFile { fields[currentName] = String(decoding: fieldBytes, as: UTF8.self).replacingNULCharacters }
            currentName = nil
            currentIsFile = false
            fieldBytes = []
        }
    }
}
