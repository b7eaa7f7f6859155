import CSpawn
public import Extraction
public import Foundation
public import OCR
public import Speech
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Reads documents in a child process (`balcao extract`) with a wall-clock timeout, a processor-time limit and a memory
/// limit, so that a file whose parsing crashes, hangs or blows up memory ends as that one document `failed` with a
/// plain reason, and the daemon keeps serving.
///
/// The child inherits the daemon's sandbox (the systemd unit's restrictions apply to it too). It gets the request on
/// standard input and answers with JSON on standard output; its limits are set by `/bin/sh`'s `ulimit` before the
/// reader's code runs, so the child cannot lift them.
public struct IsolatedDocumentReader: DocumentReading {
    /// Limits on one child process.
    public struct Limits: Sendable, Hashable {
        /// Wall-clock time before the child is stopped.
        public var timeout: Duration
        /// Processor time before the kernel stops the child (whole seconds).
        public var cpuSeconds: Int
        /// Address space the child may map, in bytes.
        public var memoryBytes: Int

        /// Creates limits: by default 120 s of wall-clock and processor time and 1 GiB of address space.
        public init(timeout: Duration = .seconds(120), cpuSeconds: Int? = nil, memoryBytes: Int = 1 << 30) {
            self.timeout = timeout
            self.cpuSeconds = cpuSeconds ?? max(1, Int(timeout.components.seconds))
            self.memoryBytes = memoryBytes
        }
    }

    /// The `balcao` executable (the daemon's own, normally).
    public var executable: URL
    /// Arguments that make it read one document from standard input.
    public var arguments: [String]
    /// Limits on each child.
    public var limits: Limits
    /// Extraction limits passed to the child.
    public var extraction: ExtractionLimits
    /// How the child reads scans and images (`nil`: OCR off).
    public var ocr: OCRSettings?
    /// How the child transcribes recordings (`nil`: it refuses them).
    public var speech: SpeechSettings?
    /// The chunker whose settings the child uses.
    public var chunker: Chunker

    /// Creates a reader that runs `executable arguments…` for each document.
    public init(
        executable: URL,
        arguments: [String] = ["extract"],
        limits: Limits = Limits(),
        extraction: ExtractionLimits = ExtractionLimits(),
        ocr: OCRSettings? = nil,
        speech: SpeechSettings? = nil,
        chunker: Chunker = Chunker()
    ) {
        self.executable = executable
        self.arguments = arguments
        self.limits = limits
        self.extraction = extraction
        self.ocr = ocr
        self.speech = speech
        self.chunker = chunker
    }

    /// The running executable, when it is a `balcao` binary that can read documents in a child process.
    public static func currentExecutable() -> URL? {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
        let url = URL(fileURLWithPath: path)
        return url.lastPathComponent == "balcao" && FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }

    public func read(fileAt file: URL, password: String?) async throws(ExtractionError) -> ReadDocument {
        try await read(fileAt: file, password: password, progress: { _, _ in })
    }

    /// Reads `file` in a child process. The wall-clock limit applies to the silence between two of the child's progress
    /// reports (a page read by OCR) as much as to a document with none: a long scan may take many minutes, a hung one
    /// never gets further than the limit.
    public func read(
        fileAt file: URL,
        password: String?,
        progress: @escaping @Sendable (_ done: Int, _ total: Int) -> Void
    ) async throws(ExtractionError) -> ReadDocument {
        let request = DocumentReadRequest(
            file: file.path,
            password: password,
            limits: extraction,
            ocr: ocr,
            speech: speech,
            maxTokens: chunker.maxTokens,
            overlapTokens: chunker.overlapTokens
        )
        let input: Data
        do {
            input = try JSONEncoder().encode(request)
        } catch {
            throw .stopped("The document reader could not be started: \(error)")
        }
        let run: ChildRun
        do {
            run = try await ChildRun.start(shellCommand(), input: input, timeout: limits.timeout, onProgress: progress)
        } catch {
            throw .stopped("The document reader could not be started: \(error)")
        }
        return try interpret(run)
    }

    /// `/bin/sh -c 'ulimit …; exec "$0" "$@"' executable arguments…`: the limits are in force before the reader starts.
    ///
    /// OCR runs on one thread (`OMP_THREAD_LIMIT=1`, read by the OpenMP runtime Tesseract uses when the process
    /// starts): a document is one worker's work, and Tesseract's own threads spin while they wait, taking the cores the
    /// daemon and the other worker need.
    ///
    /// The memory limit is on address space, and glibc reserves 64 MB of it for each malloc arena it opens when threads
    /// contend (up to eight per core): two arenas (`MALLOC_ARENA_MAX=2`) keep what a file may really use from depending
    /// on how busy the machine is. A voice note peaks at 955 MB of address space with them, every run; without the cap
    /// its peak moved between 947 and 1,019 MB under load, and a CI run's note failed at the 1,024 MB limit.
    func shellCommand() -> [String] {
        let script =
            "ulimit -v \(max(1, limits.memoryBytes / 1024)) && ulimit -t \(max(1, processorSeconds)) && export OMP_THREAD_LIMIT=1 "
            + "MALLOC_ARENA_MAX=2 && exec \"$0\" \"$@\""
        return ["/bin/sh", "-c", script, executable.path] + arguments
    }

    /// The processor time one child may use: the limit, and with OCR on, each page it may read its own page limit.
    var processorSeconds: Int {
        guard let ocr else { return limits.cpuSeconds }
        return limits.cpuSeconds + ocr.maximumPages * Int(ocr.pageTimeLimit.components.seconds)
    }

    /// The document, or the plain reason the child gave or its end implies.
    func interpret(_ run: ChildRun) throws(ExtractionError) -> ReadDocument {
        let seconds = limits.timeout.components.seconds
        if run.timedOut {
            throw .stopped("Processing this file made no progress for \(seconds) s and was stopped.")
        }
        if run.status == 0, let reply = try? JSONDecoder().decode(DocumentReadReply.self, from: run.output) {
            if let document = reply.document { return document }
            if let failure = reply.failure, let error = ExtractionError(kind: failure.kind, reason: failure.reason) { throw error }
        }
        let megabytes = limits.memoryBytes / (1 << 20)
        let diagnostics = String(decoding: run.errorTail, as: UTF8.self).lowercased()
        if ["memory", "bad_alloc", "enomem"].contains(where: diagnostics.contains) {
            throw .stopped("Processing this file needed more than \(megabytes) MB of memory and was stopped.")
        }
        if let signal = run.signal {
            if signal == SIGXCPU || signal == SIGKILL {
                throw .stopped("Processing this file used more than \(processorSeconds) s of processor time and was stopped.")
            }
            throw .stopped(
                "The document reader crashed on this file (signal \(signal)) and was stopped; the file may be damaged or hostile."
            )
        }
        throw .stopped("The document reader stopped unexpectedly on this file (exit status \(run.status)); the file may be damaged.")
    }
}

/// One finished child process: what it wrote and how it ended.
struct ChildRun: Sendable {
    /// Its standard output.
    var output: Data
    /// The last few kilobytes of its standard error.
    var errorTail: Data
    /// Its exit status (when it exited).
    var status: Int32
    /// The signal that ended it (when one did).
    var signal: Int32?
    /// Whether it was stopped for running past the timeout.
    var timedOut: Bool

    /// Most bytes of standard error kept.
    static let errorTailBytes = 8 * 1024

    /// Runs `command` with `input` on its standard input, stopping it (and its process group) with SIGKILL after
    /// `timeout` or when the calling task is cancelled. No thread of the concurrency pool waits for it.
    ///
    /// Each progress line on its standard error (``DocumentReadProgress``) is handed to `onProgress` and restarts the
    /// timeout.
    static func start(
        _ command: [String],
        input: Data,
        timeout: Duration,
        onProgress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> ChildRun {
        let child = try SpawnedChild(command)
        let state = Mutex<(timedOut: Bool, exited: Bool, output: Data, errorTail: Data, status: Int32)>((false, false, Data(), Data(), 0))
        let group = DispatchGroup()
        // Drain both pipes on their own threads so a chatty child never blocks on a full pipe.
        group.enter()
        DispatchQueue.global(qos: .utility).async {
            let data = FileHandle(fileDescriptor: child.output, closeOnDealloc: true).readDataToEndOfFile()
            state.withLock { $0.output = data }
            group.leave()
        }
        // Kill the child's whole process group, but never after it was reaped (its id could be reused).
        let stop: @Sendable (Bool) -> Void = { timedOut in
            state.withLock { value in
                guard !value.exited else { return }
                if timedOut { value.timedOut = true }
                kill(-child.pid, SIGKILL)
            }
        }
        // The timeout runs from the start, and again from each progress report: a timer stops the child only when no
        // later one was set since (and none once the child ended).
        let timerGeneration = Mutex(0)
        let restartTimer: @Sendable () -> Void = {
            let generation = timerGeneration.withLock { value -> Int in
                value += 1
                return value
            }
            DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .nanoseconds(Int(timeout / .nanoseconds(1)))) {
                if timerGeneration.withLock({ $0 }) == generation { stop(true) }
            }
        }
        restartTimer()
        group.enter()
        DispatchQueue.global(qos: .utility).async {
            let handle = FileHandle(fileDescriptor: child.errors, closeOnDealloc: true)
            var pending = Data()
            while let chunk = try? handle.read(upToCount: 4096), !chunk.isEmpty {
                state.withLock { value in
                    value.errorTail.append(chunk)
                    if value.errorTail.count > errorTailBytes { value.errorTail = Data(value.errorTail.suffix(errorTailBytes)) }
                }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending = Data(pending[(newline + 1)...])
                    if let (done, total) = DocumentReadProgress.parse(line[...]) {
                        restartTimer()
                        onProgress(done, total)
                    }
                }
                if pending.count > errorTailBytes { pending = Data() }  // no line that long is a progress report
            }
            group.leave()
        }
        DispatchQueue.global(qos: .utility).async {
            // A child that exits without reading its request makes this write fail (EPIPE, as SIGPIPE is ignored).
            let handle = FileHandle(fileDescriptor: child.input, closeOnDealloc: true)
            try? handle.write(contentsOf: input)
            try? handle.close()
        }
        group.enter()
        DispatchQueue.global(qos: .utility).async {
            let status = child.wait()
            state.withLock { value in
                value.exited = true
                value.status = status
            }
            group.leave()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                group.notify(queue: .global(qos: .utility)) { continuation.resume() }
            }
        } onCancel: {
            stop(false)
        }
        timerGeneration.withLock { $0 += 1 }
        let (timedOut, _, output, errorTail, status) = state.withLock { $0 }
        let signaled = status & 0x7f != 0 && status & 0x7f != 0x7f
        return ChildRun(
            output: output,
            errorTail: errorTail,
            status: signaled ? -1 : (status >> 8) & 0xff,
            signal: signaled ? status & 0x7f : nil,
            timedOut: timedOut
        )
    }
}

/// A child started with `posix_spawn` in a process group of its own, with every signal unblocked and at its default
/// action (the daemon's threads block and ignore some; a reader must die of the signals that stop it), and its
/// standard input, output and error connected to pipes.
struct SpawnedChild: Sendable {
    let pid: pid_t
    /// Write end of the child's standard input.
    let input: Int32
    /// Read end of its standard output.
    let output: Int32
    /// Read end of its standard error.
    let errors: Int32

    /// The error of a failed start.
    struct StartError: Error, CustomStringConvertible {
        var description: String
    }

    private static let ignoreBrokenPipes: Void = { _ = Glibc.signal(SIGPIPE, SIG_IGN) }()

    /// Serializes making the pipes and spawning: until `FD_CLOEXEC` is set on a new pipe, a child spawned by another
    /// thread would inherit it and hold this child's output open (the close-from action guards this child only).
    private static let spawning = Mutex(())

    init(_ command: [String]) throws {
        _ = Self.ignoreBrokenPipes
        (pid, input, output, errors) = try Self.spawning.withLock { _ in try Self.spawn(command) }
    }

    private static func spawn(_ command: [String]) throws -> (pid_t, Int32, Int32, Int32) {
        var pipes: [[Int32]] = []
        for _ in 0..<3 {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else {
                for descriptor in pipes.joined() { close(descriptor) }
                throw StartError(description: "pipe: \(String(cString: strerror(errno)))")
            }
            for descriptor in fds { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
            pipes.append(fds)
        }
        // [0] stdin: the child reads [0][0]; [1] stdout and [2] stderr: the child writes [n][1].
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipes[0][0], 0)
        posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipes[2][1], 2)
        // Nothing else the daemon has open (an upload being written, a log) reaches a process that parses hostile files.
        balcao_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        var argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var environment: [UnsafeMutablePointer<CChar>?] = childEnvironment().map { strdup($0) } + [nil]
        defer { for variable in environment { free(variable) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command[0], &actions, &attributes, &argv, &environment)
        close(pipes[0][0])
        close(pipes[1][1])
        close(pipes[2][1])
        guard result == 0 else {
            close(pipes[0][1])
            close(pipes[1][0])
            close(pipes[2][0])
            throw StartError(description: "\(command[0]): \(String(cString: strerror(result)))")
        }
        return (pid, pipes[0][1], pipes[1][0], pipes[2][0])
    }

    /// The variables a reader gets: locale, search path and temporary directory. Secrets the daemon was given in its
    /// environment (`BALCAO_*`, the credentials directory) never reach a process that parses hostile files.
    static func childEnvironment() -> [String] {
        let kept: Set<String> = ["PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TMPDIR", "HOME", "TZ"]
        return ProcessInfo.processInfo.environment.filter { kept.contains($0.key) }.map { "\($0.key)=\($0.value)" }.sorted()
    }

    /// Waits for the child to end and returns its wait status (blocks the calling thread).
    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }
}
