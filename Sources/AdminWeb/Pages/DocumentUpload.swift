import Foundation
import Hummingbird
import Ingestion
import MultipartKit
import NIOCore
import Storage

/// A `multipart/form-data` upload of several files (field `files`) read from a request body stream: each file is
/// written to its own staged file as it arrives (hashed, size-limited), small text fields are kept in memory.
struct DocumentUpload {
    /// A received file.
    struct File {
        /// The staged bytes.
        var staged: StagedUpload
        /// The name the browser sent.
        var filename: String
    }

    /// Why an upload was refused as a whole.
    enum Failure: Error, Equatable {
        /// Not a multipart body.
        case notMultipart
        /// A file exceeds the limit (or the body exceeds the limit for all files).
        case tooLarge
        /// More files than allowed in one request.
        case tooManyFiles
        /// The body could not be parsed.
        case malformed
        /// The disk is full or read-only: the file could not be written.
        case storage(StorageError)
    }

    /// Files in the order they arrived.
    var files: [File]
    /// The other fields.
    var fields: [String: String]

    /// Most files per request.
    static let maxFiles = 20

    /// Reads the body. On failure (``Failure/storage(_:)`` when the disk is full) every staged file is deleted.
    static func read(_ request: Request, originals: OriginalStore, limit: Int) async throws -> DocumentUpload {
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = MultipartHeaders.boundary(in: contentType)
        else { throw Failure.notMultipart }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit * maxFiles + 64 * 1024 {
            throw Failure.tooLarge
        }
        let collector = Collector(originals: originals, limit: limit)
        let parser = MultipartParser(boundary: boundary)
        var headerNames = MultipartHeaderNameGuard(boundary: boundary)
        parser.onHeader = { name, value in collector.header(name: name, value: value) }
        parser.onBody = { buffer in collector.body(&buffer) }
        parser.onPartComplete = { collector.partComplete() }
        do {
            for try await buffer in request.body {
                try headerNames.check(buffer.readableBytesView)
                try parser.execute(buffer)
                if let failure = collector.failure { throw failure }
            }
            if let failure = collector.failure { throw failure }
            return DocumentUpload(files: collector.files, fields: collector.fields)
        } catch let failure as Failure {
            collector.discardAll()
            throw failure
        } catch {
            collector.discardAll()
            throw StorageError(error).map(Failure.storage) ?? Failure.malformed
        }
    }

    /// Parser state; the parser's callbacks cannot throw, so the first failure is kept and rethrown by the reader.
    private final class Collector {
        let originals: OriginalStore
        let limit: Int
        var files: [File] = []
        var fields: [String: String] = [:]
        var failure: Failure?
        private var name: String?
        private var filename: String?
        private var stager: UploadStager?
        private var fieldBytes: [UInt8] = []

        init(originals: OriginalStore, limit: Int) {
            self.originals = originals
            self.limit = limit
        }

        func header(name: String, value: String) {
            guard failure == nil, name.lowercased() == "content-disposition" else { return }
            self.name = MultipartHeaders.dispositionParameter("name", in: value)
            let filename = MultipartHeaders.dispositionParameter("filename", in: value)
            // A file input left empty still sends a part, with an empty file name and no bytes: skip it.
            if self.name == "files", let filename, !filename.isEmpty {
                guard files.count < DocumentUpload.maxFiles else {
                    failure = .tooManyFiles
                    return
                }
                self.filename = filename
                do { stager = try originals.stage(limit: limit) } catch { failure = StorageError(error).map(Failure.storage) ?? .malformed }
            }
        }

        func body(_ buffer: inout ByteBuffer) {
            guard failure == nil else { return }
            if let stager {
                do {
                    try stager.append(buffer.readableBytesView)
                } catch {
                    // The stager deleted its partial file.
                    self.stager = nil
                    failure = StorageError(error).map(Failure.storage) ?? .tooLarge
                }
            } else if name != "files" {
                if fieldBytes.count + buffer.readableBytes <= 64 * 1024 {
                    fieldBytes.append(contentsOf: buffer.readableBytesView)
                } else {
                    failure = .malformed
                }
            }
        }

        func partComplete() {
            defer {
                name = nil
                filename = nil
                stager = nil
                fieldBytes = []
            }
            guard failure == nil else { return }
            if let stager {
                do {
                    files.append(File(staged: try stager.finish(), filename: filename ?? "document"))
                } catch {
                    stager.discard()
                    failure = StorageError(error).map(Failure.storage) ?? .malformed
                }
            } else if let name, name != "files" {
                fields[name] = String(decoding: fieldBytes, as: UTF8.self).replacingNULCharacters
            }
        }

        func discardAll() {
            stager?.discard()
            stager = nil
            for file in files { try? FileManager.default.removeItem(at: file.staged.file) }
            files = []
        }
    }
}
