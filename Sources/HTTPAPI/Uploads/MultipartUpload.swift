import Foundation
public import Hummingbird
import MultipartKit
import NIOCore
public import Storage

/// A `multipart/form-data` upload read from a request body stream, shared by the API (`POST /api/v1/documents`, one
/// `file`) and the admin page (up to 20 `files`): each file part is written to its own staged file in the original
/// store as it arrives (hashed, size-limited), small text fields are kept in memory. Nothing is kept on failure.
public struct MultipartUpload: Sendable {
    /// A received file.
    public struct File: Sendable {
        /// The staged bytes.
        public var staged: StagedUpload
        /// The file name the client sent (`document` when it sent none).
        public var filename: String
        /// An empty file input of a browser form: an empty file name and no bytes.
        public var isEmptyInput: Bool
    }

    /// Why an upload was refused as a whole.
    public enum Failure: Error, Sendable, Equatable {
        /// Not a multipart body.
        case notMultipart
        /// A file exceeds the limit (or the body exceeds the limit for all files).
        case tooLarge
        /// More file parts than allowed in one request.
        case tooManyFiles
        /// A text field is longer than 64 KiB.
        case fieldTooLong
        /// The body could not be parsed; the description says why.
        case malformed(String)
        /// The disk is full or read-only: the file could not be written.
        case storage(StorageError)
    }

    /// Files in the order they arrived.
    public var files: [File]
    /// The other fields (NUL characters replaced, see `String.replacingNULCharacters`).
    public var fields: [String: String]

    /// The longest text field.
    static let maxFieldBytes = 64 * 1024

    /// Reads the body: parts named `fileField` are files (at most `maxFiles`, each at most `limit` bytes), the others
    /// text fields. On failure every staged file is deleted.
    public static func read(
        _ request: Request,
        fileField: String,
        maxFiles: Int,
        originals: OriginalStore,
        limit: Int
    ) async throws(Failure) -> MultipartUpload {
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = MultipartHeaders.boundary(in: contentType)
        else { throw .notMultipart }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit * maxFiles + maxFieldBytes {
            throw .tooLarge
        }
        let collector = Collector(originals: originals, fileField: fileField, maxFiles: maxFiles, limit: limit)
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
            return MultipartUpload(files: collector.files, fields: collector.fields)
        } catch let failure as Failure {
            collector.discardAll()
            throw failure
        } catch {
            collector.discardAll()
            throw StorageError(error).map(Failure.storage) ?? .malformed("\(error)")
        }
    }

    /// Parser state; the parser's callbacks cannot throw, so the first failure is kept and rethrown by the reader.
    private final class Collector {
        let originals: OriginalStore
        let fileField: String
        let maxFiles: Int
        let limit: Int
        var files: [File] = []
        var fields: [String: String] = [:]
        var failure: Failure?
        private var name: String?
        private var filename: String?
        private var stager: UploadStager?
        private var fieldBytes: [UInt8] = []

        init(originals: OriginalStore, fileField: String, maxFiles: Int, limit: Int) {
            self.originals = originals
            self.fileField = fileField
            self.maxFiles = maxFiles
            self.limit = limit
        }

        func header(name: String, value: String) {
            guard failure == nil, name.lowercased() == "content-disposition" else { return }
            self.name = MultipartHeaders.dispositionParameter("name", in: value)
            guard self.name == fileField else { return }
            guard files.count < maxFiles else {
                failure = .tooManyFiles
                return
            }
            filename = MultipartHeaders.dispositionParameter("filename", in: value)
            do {
                stager = try originals.stage(limit: limit)
            } catch {
                failure = StorageError(error).map(Failure.storage) ?? .malformed("\(error)")
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
            } else if name != fileField {
                if fieldBytes.count + buffer.readableBytes <= MultipartUpload.maxFieldBytes {
                    fieldBytes.append(contentsOf: buffer.readableBytesView)
                } else {
                    failure = .fieldTooLong
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
                    let staged = try stager.finish()
                    files.append(File(staged: staged, filename: filename ?? "document", isEmptyInput: filename == "" && staged.bytes == 0))
                } catch {
                    stager.discard()
                    failure = StorageError(error).map(Failure.storage) ?? .malformed("\(error)")
                }
            } else if let name, name != fileField {
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
