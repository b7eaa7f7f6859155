import Extraction
import Foundation
import OCR
import Speech
import Storage

#if canImport(Glibc)
import Glibc
#endif

/// What the reader's child process is asked, as JSON on its standard input (never on its command line: the password
/// of an encrypted document must not show in the process list).
struct DocumentReadRequest: Codable, Sendable {
    /// The original to read.
    var file: String
    /// The document's password, when it has one.
    var password: String?
    /// Extraction limits (sizes, pages, archive expansion).
    var limits: ExtractionLimits
    /// How scans and images are read (`nil`: OCR off).
    var ocr: OCRSettings?
    /// How recordings are transcribed (`nil`: they are refused).
    var speech: SpeechSettings?
    /// The chunker's budget.
    var maxTokens: Int
    /// The chunker's overlap.
    var overlapTokens: Int
}

/// What the child answers, as JSON on its standard output: the document, or why it could not be read.
struct DocumentReadReply: Codable, Sendable {
    /// Why a file could not be read, as an ``ExtractionError`` on the wire.
    struct Failure: Codable, Sendable {
        var kind: String
        var reason: String
    }

    var document: ReadDocument?
    var failure: Failure?

    init(document: ReadDocument) {
        self.document = document
    }

    init(error: ExtractionError) {
        failure = Failure(kind: error.kind, reason: error.reason)
    }
}

/// A progress line of the reader's child on its standard error: `balcao-progress: <done> <total>`.
enum DocumentReadProgress {
    static let prefix = "balcao-progress: "

    /// The pages done and to do in `line`, when it is a progress line.
    static func parse(_ line: Substring) -> (done: Int, total: Int)? {
        guard line.hasPrefix(prefix) else { return nil }
        let numbers = line.dropFirst(prefix.count).split(separator: " ").compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] >= 0, numbers[1] >= numbers[0] else { return nil }
        return (numbers[0], numbers[1])
    }
}

/// The child side of ``IsolatedDocumentReader``: `balcao extract` calls ``run()``.
public enum DocumentReadWorker {
    /// Reads one request from standard input, reads the document, writes the reply to standard output; returns the exit
    /// status (0 when a reply was written, whatever it says).
    ///
    /// Anything else the process prints (a library's warning) is sent to standard error, so the reply stays the only
    /// thing on standard output.
    public static func run() -> Int32 {
        let reply = dup(STDOUT_FILENO)
        guard reply >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else { return 70 }
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let request = try? JSONDecoder().decode(DocumentReadRequest.self, from: input) else {
            FileHandle.standardError.write(Data("balcao extract: expected a JSON request on standard input\n".utf8))
            return 64
        }
        var extractor = DocumentExtractor(limits: request.limits, ocr: request.ocr, speech: request.speech)
        // Each page read by OCR is reported on standard error, as a line the parent looks for: it shows the progress of
        // a long scan and proves the reader is alive (the parent's clock restarts with each line).
        extractor.progress = { done, total in
            FileHandle.standardError.write(Data("\(DocumentReadProgress.prefix)\(done) \(total)\n".utf8))
        }
        let reader = InProcessDocumentReader(
            extractor: extractor,
            chunker: Chunker(maxTokens: request.maxTokens, overlapTokens: request.overlapTokens)
        )
        let answer: DocumentReadReply
        do {
            answer = DocumentReadReply(document: try reader.readNow(fileAt: URL(fileURLWithPath: request.file), password: request.password))
        } catch {
            answer = DocumentReadReply(error: error)
        }
        guard let data = try? JSONEncoder().encode(answer) else { return 70 }
        let output = FileHandle(fileDescriptor: reply, closeOnDealloc: true)
        do {
            try output.write(contentsOf: data)
            try output.close()
        } catch {
            return 74
        }
        return 0
    }
}
