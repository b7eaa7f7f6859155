import Extraction
import Foundation
import OCR
import Storage
import Synchronization
import Testing

@testable import Ingestion

/// Files and executables for the isolation tests: the real `balcao` built beside these tests, the shared corpus, and
/// small shell scripts that behave like a reader that hangs, crashes or spins.
enum IsolationFixtures {
    static let repository: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let balcao = repository.appendingPathComponent(".build/debug/balcao")
    static let corpus = repository.deletingLastPathComponent().appendingPathComponent("shared/corpus")

    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-isolation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// An executable shell script with `body`.
    static func script(_ body: String) throws -> URL {
        let url = try directory().appendingPathComponent("reader.sh")
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    static func file(_ name: String, _ text: String) throws -> URL {
        let url = try directory().appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }
}

@Suite("Documents read in a child process", .timeLimit(.minutes(2)))
struct IsolatedDocumentReaderTests {
    private func reason(_ body: () async throws(ExtractionError) -> ReadDocument) async -> ExtractionError? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test("the child reads the same chunks as the daemon would in-process, the password travelling on standard input")
    func sameChunks() async throws {
        let text = "# Trocas\n\nTrocas em até 7 dias. " + String(repeating: "O prazo conta da entrega. ", count: 200)
        let file = try IsolationFixtures.file("trocas.txt", text)
        let isolated = IsolatedDocumentReader(executable: IsolationFixtures.balcao)
        let child = try await isolated.read(fileAt: file, password: nil)
        let local = try await InProcessDocumentReader().read(fileAt: file, password: nil)
        #expect(child == local)
        #expect(child.chunks.count > 1)

        let encrypted = IsolationFixtures.corpus.appendingPathComponent("pdf/docling_password_2206.01062_pg3.pdf")
        let refused = await reason { () throws(ExtractionError) in try await isolated.read(fileAt: encrypted, password: nil) }
        guard case .passwordProtected? = refused else {
            Issue.record("expected passwordProtected, got \(String(describing: refused))")
            return
        }
        let opened = try await isolated.read(fileAt: encrypted, password: "1234")
        #expect(opened.format == .pdf && !opened.chunks.isEmpty)
    }

    @Test("the file that took the daemon down (a 4,000-letter URL) is read in the child, within the chunk budget")
    func poisonPill() async throws {
        let file = try IsolationFixtures.file(
            "pill.txt",
            "Veja https://loja.example/" + String(repeating: "a", count: 4_000) + " para detalhes.\n"
        )
        let read = try await IsolatedDocumentReader(executable: IsolationFixtures.balcao).read(fileAt: file, password: nil)
        #expect(read.chunks.count >= 3)
        // The budget, plus the overlap carried from the chunk before.
        #expect(read.chunks.allSatisfy { $0.tokenCount <= 300 + 40 }, "\(read.chunks.map(\.tokenCount))")
    }

    @Test("the child reads a scan by OCR and reports each page it read")
    func scanInTheChild() async throws {
        let reader = IsolatedDocumentReader(executable: IsolationFixtures.balcao, ocr: OCRSettings())
        let log = ProgressLog()
        let scan = IsolationFixtures.corpus.appendingPathComponent("pdf/docling_ocr_test_scanned.pdf")
        let read = try await reader.read(fileAt: scan, password: nil) { done, total in log.add(done, total) }
        #expect(read.ocrPages.map(\.page) == [1])
        #expect(read.chunks.contains { $0.text.contains("Docling bundles PDF document conversion") })
        #expect(log.all == [[1, 1]])
    }

    @Test("a reader that hangs is stopped at the timeout and the document gets a plain reason")
    func hang() async throws {
        let reader = IsolatedDocumentReader(
            executable: try IsolationFixtures.script("exec sleep 600"),
            arguments: [],
            limits: .init(timeout: .seconds(1), cpuSeconds: 60)
        )
        let error = await reason { () throws(ExtractionError) in try await reader.read(fileAt: URL(fileURLWithPath: "/dev/null"), password: nil) }
        #expect(error == .stopped("Processing this file made no progress for 1 s and was stopped."))
    }

    /// Records progress reports.
    final class ProgressLog: Sendable {
        private let reports = Mutex<[[Int]]>([])
        var all: [[Int]] { reports.withLock { $0 } }
        func add(_ done: Int, _ total: Int) { reports.withLock { $0.append([done, total]) } }
    }

    @Test("a long scan that reports each page read outlives the timeout, which counts the silence between reports")
    func progressRestartsTheClock() async throws {
        // Eight pages, half a second each: four seconds in all, against a three-second limit of silence.
        let reader = IsolatedDocumentReader(
            executable: try IsolationFixtures.script(
                #"for i in 1 2 3 4 5 6 7 8; do sleep 0.5; echo "balcao-progress: $i 8" >&2; done; echo '{"failure":{"kind":"unreadable","reason":"read to the end"}}'"#
            ),
            arguments: [],
            limits: .init(timeout: .seconds(3), cpuSeconds: 60)
        )
        let log = ProgressLog()
        let error = await reason { () throws(ExtractionError) in
            try await reader.read(fileAt: URL(fileURLWithPath: "/dev/null"), password: nil) { done, total in log.add(done, total) }
        }
        #expect(error == .unreadable("read to the end"))
        #expect(log.all == (1...8).map { [$0, 8] })
    }

    @Test("a scan that stops reporting is stopped when the silence outlasts the timeout")
    func silenceAfterProgress() async throws {
        let reader = IsolatedDocumentReader(
            executable: try IsolationFixtures.script(#"echo "balcao-progress: 1 5" >&2; echo "noise" >&2; exec sleep 600"#),
            arguments: [],
            limits: .init(timeout: .seconds(1), cpuSeconds: 60)
        )
        let log = ProgressLog()
        let error = await reason { () throws(ExtractionError) in
            try await reader.read(fileAt: URL(fileURLWithPath: "/dev/null"), password: nil) { done, total in log.add(done, total) }
        }
        #expect(error == .stopped("Processing this file made no progress for 1 s and was stopped."))
        #expect(log.all == [[1, 5]])
    }

    @Test("a reader that crashes ends the document, not the caller")
    func crash() async throws {
        let reader = IsolatedDocumentReader(executable: try IsolationFixtures.script("kill -SEGV $$"), arguments: [])
        let error = await reason { () throws(ExtractionError) in try await reader.read(fileAt: URL(fileURLWithPath: "/dev/null"), password: nil) }
        guard case .stopped(let text)? = error else {
            Issue.record("expected stopped, got \(String(describing: error))")
            return
        }
        #expect(text.contains("crashed") && text.contains("signal 11"))
    }

    @Test("a reader that spins is stopped by its processor-time limit, whatever the wall clock says")
    func spin() async throws {
        let reader = IsolatedDocumentReader(
            executable: try IsolationFixtures.script("while :; do :; done"),
            arguments: [],
            limits: .init(timeout: .seconds(600), cpuSeconds: 1)
        )
        let error = await reason { () throws(ExtractionError) in try await reader.read(fileAt: URL(fileURLWithPath: "/dev/null"), password: nil) }
        #expect(error == .stopped("Processing this file used more than 1 s of processor time and was stopped."))
    }

    @Test("a reader that needs more memory than its limit is stopped with that reason")
    func memory() async throws {
        // Python asks for 4 GiB under a 256 MiB address-space limit: the allocation fails, as a parser's would.
        let reader = IsolatedDocumentReader(
            executable: try IsolationFixtures.script("exec python3 -c 'bytearray(1 << 32)'"),
            arguments: [],
            limits: .init(timeout: .seconds(600), memoryBytes: 256 << 20)
        )
        let error = await reason { () throws(ExtractionError) in try await reader.read(fileAt: URL(fileURLWithPath: "/dev/null"), password: nil) }
        #expect(error == .stopped("Processing this file needed more than 256 MB of memory and was stopped."))
    }

    @Test("the real reader under a memory limit too small for a large file is stopped, not the caller")
    func realReaderMemory() async throws {
        // 40 MB of text needs several times that in the reader (decoding, normalization, blocks, chunks, JSON).
        let line = "Uma linha de texto comum, com acentuação e números 12345, repetida para encher o arquivo.\n"
        let file = try IsolationFixtures.file("grande.txt", String(repeating: line, count: 40_000_000 / line.utf8.count))
        let reader = IsolatedDocumentReader(
            executable: IsolationFixtures.balcao,
            limits: .init(timeout: .seconds(600), memoryBytes: 400 << 20)
        )
        let error = await reason { () throws(ExtractionError) in try await reader.read(fileAt: file, password: nil) }
        guard case .stopped(let text)? = error else {
            Issue.record("expected stopped, got \(String(describing: error))")
            return
        }
        #expect(text.contains("memory") || text.contains("crashed") || text.contains("stopped unexpectedly"), "\(text)")
    }

    @Test("a reader whose output is not a reply ends the document with a reason")
    func garbage() async throws {
        let reader = IsolatedDocumentReader(executable: try IsolationFixtures.script("echo '{not json'; exit 0"), arguments: [])
        let error = await reason { () throws(ExtractionError) in try await reader.read(fileAt: URL(fileURLWithPath: "/dev/null"), password: nil) }
        #expect(error == .stopped("The document reader stopped unexpectedly on this file (exit status 0); the file may be damaged."))
    }

    @Test("the child gets no secrets from the daemon's environment, and every signal unblocked")
    func cleanChild() async throws {
        setenv("BALCAO_LLM_API_KEY", "sk-secret-for-test", 1)
        defer { unsetenv("BALCAO_LLM_API_KEY") }
        // The script answers with its environment and signal mask as the "reason" of a failure.
        let reader = IsolatedDocumentReader(
            executable: try IsolationFixtures.script(
                #"cat >/dev/null; printf '{"failure":{"kind":"malformed","reason":"%s"}}' "$( (env; grep SigBlk /proc/$$/status) | tr -d '"\\' | tr '\t\n' '  ')""#
            ),
            arguments: []
        )
        let error = await reason { () throws(ExtractionError) in try await reader.read(fileAt: URL(fileURLWithPath: "/dev/null"), password: nil) }
        guard case .malformed(let seen)? = error else {
            Issue.record("expected the script's answer, got \(String(describing: error))")
            return
        }
        #expect(!seen.contains("sk-secret-for-test"))
        #expect(seen.contains("PATH="))
        #expect(seen.contains("SigBlk: 0000000000000000"), "\(seen)")
    }

    @Test("cancelling the caller (shutdown) stops the child at once")
    func cancellation() async throws {
        let reader = IsolatedDocumentReader(
            executable: try IsolationFixtures.script("exec sleep 600"),
            arguments: [],
            limits: .init(timeout: .seconds(600))
        )
        let task = Task { () -> ExtractionError? in
            await reason { () throws(ExtractionError) in try await reader.read(fileAt: URL(fileURLWithPath: "/dev/null"), password: nil) }
        }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        // Without the kill this would wait for the 600 s timeout; the suite's time limit would fail it.
        guard case .stopped? = await task.value else {
            Issue.record("expected the stopped child's error")
            return
        }
    }
}
