// Webhook throughput and latency: signed WhatsApp deliveries against the real daemon (in process, on loopback) with a
// zero-latency fake LLM and fake Graph API, and the same load against a bare Hummingbird endpoint as the ceiling; then
// the website widget's message-to-answer latency (its POST to the answer's server-sent event), one visitor at a time.
//
//   WebhookBenchmark [--messages N] [--concurrency C] [--output bench-results/webhook.json]
import AsyncHTTPClient
import BalcaoApp
import BalcaoTesting
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

struct Options {
    var messages = 1000
    var concurrency = 32
    /// Messages sent one at a time after the burst (the latency of a quiet daemon).
    var sequential = 200
    var output = "bench-results/webhook.json"
    /// Only the acceptance path: no workers apply or answer what is stored (a diagnostic run).
    var acceptOnly = false

    init() {
        var arguments = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = arguments.next() {
            switch argument {
            case "--messages": messages = Int(arguments.next() ?? "") ?? messages
            case "--concurrency": concurrency = Int(arguments.next() ?? "") ?? concurrency
            case "--sequential": sequential = Int(arguments.next() ?? "") ?? sequential
            case "--output": output = arguments.next() ?? output
            case "--accept-only": acceptOnly = true
            default:
                FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

let appSecret = "bench-app-secret"
let phoneNumberID = "106540352242922"

func webhook(customer: String, id: String) -> Data {
    let now = Int(Date().timeIntervalSince1970)
    return Data(
        #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\#(phoneNumberID)"},"contacts":[{"profile":{"name":"Cliente"},"wa_id":"\#(customer)"}],"messages":[{"from":"\#(customer)","id":"\#(id)","timestamp":"\#(now)","type":"text","text":{"body":"Qual o prazo para devolução?"}}]}}]}]}"#
            .utf8
    )
}

/// Sends `count` signed deliveries with `concurrency` in flight; returns per-request latencies (seconds), send start
/// times by customer, and the wall time.
func load(
    port: Int,
    count: Int,
    concurrency: Int,
    prefix: String
) async throws -> (latencies: [Double], starts: [String: ContinuousClock.Instant], seconds: Double, failures: Int) {
    let client = HTTPClient.shared
    let url = "http://127.0.0.1:\(port)/webhooks/whatsapp"
    let bodies = (0..<count).map { index -> (String, Data) in
        let customer = "\(prefix)\(String(format: "%07d", index))"
        return (customer, webhook(customer: customer, id: "wamid.\(prefix).\(index)"))
    }
    let started = ContinuousClock.now
    var latencies: [Double] = []
    var starts: [String: ContinuousClock.Instant] = [:]
    var failures = 0
    try await withThrowingTaskGroup(of: (String, ContinuousClock.Instant, Double, Bool).self) { group in
        var next = 0
        func submit() {
            let (customer, body) = bodies[next]
            next += 1
            group.addTask {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.headers.add(name: "X-Hub-Signature-256", value: WebhookSigner.sign(body: body, appSecret: appSecret))
                request.body = .bytes(ByteBuffer(data: body))
                let begin = ContinuousClock.now
                let response = try await client.execute(request, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 1 << 16)
                let elapsed = ContinuousClock.now - begin
                return (customer, begin, Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds), response.status == .ok)
            }
        }
        for _ in 0..<min(concurrency, count) { submit() }
        while let (customer, begin, latency, ok) = try await group.next() {
            latencies.append(latency)
            starts[customer] = begin
            if !ok { failures += 1 }
            if next < count { submit() }
        }
    }
    let wall = ContinuousClock.now - started
    return (latencies, starts, Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18, failures)
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((p / 100) * Double(sorted.count - 1) + 0.5))]
}

/// Runs an application on a free port until `body` returns.
func withRunning<App: ApplicationProtocol>(_ app: App, portPromise: PortBox, _ body: @Sendable (Int) async throws -> Void) async throws {
    let group = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "bench")))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        let port = try await portPromise.wait()
        try await body(port)
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

/// The port a server bound to, handed from its start-up callback to the load generator.
final class PortBox: Sendable {
    private let port = Mutex<Int?>(nil)
    func set(_ value: Int) { port.withLock { $0 = value } }
    func wait() async throws -> Int {
        for _ in 0..<2000 {
            if let value = port.withLock({ $0 }) { return value }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw CancellationError()
    }
}

let options = Options()
var logger = Logger(label: "bench")
logger.logLevel = .error

// 1. The ceiling: a bare Hummingbird endpoint that reads the body and answers 200.
let barePort = PortBox()
let bareRouter = Router()
bareRouter.post("webhooks/whatsapp") { request, _ -> HTTPResponse.Status in
    _ = try await request.body.collect(upTo: 1 << 20)
    return .ok
}
let bare = Application(
    router: bareRouter,
    configuration: .init(address: .hostname("127.0.0.1", port: 0)),
    onServerRunning: { channel in
        barePort.set(channel.localAddress?.port ?? 0)
    },
    logger: logger
)
nonisolated(unsafe) var bareResult: (latencies: [Double], starts: [String: ContinuousClock.Instant], seconds: Double, failures: Int)!
try await withRunning(bare, portPromise: barePort) { port in
    bareResult = try await load(port: port, count: options.messages, concurrency: options.concurrency, prefix: "5511")
}

// 2. The daemon, with the fakes.
let graph = try await FakeGraphAPI.start()
let llm = try await FakeLLM.start(reply: "Até 7 dias após a entrega (politica.txt).")
let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-bench-\(UUID().uuidString)")
defer { try? FileManager.default.removeItem(at: dataDirectory) }
var configuration = BalcaoConfiguration()
configuration.storage.dataDirectory = dataDirectory.path
configuration.server.port = 0
configuration.server.apiToken = "bench"
configuration.embedding.provider = "none"
configuration.whatsapp.appSecret = appSecret
configuration.whatsapp.accessToken = graph.accessToken
configuration.whatsapp.graphBaseURL = graph.baseURL
configuration.whatsapp.quietPeriodSeconds = 0
configuration.llm.baseURL = llm.baseURL
configuration.llm.model = "fake"
// Every widget message of the run comes from one address: no per-address or per-visitor limit.
configuration.widget.addressMessagesPerMinute = 0
configuration.widget.visitorMessagesPerMinute = 0
let balcao = try Balcao.open(configuration: configuration, logger: logger)
let policy = dataDirectory.appendingPathComponent("politica.txt")
try Data("A devolução de produtos pode ser pedida em até 7 dias após a entrega. O prazo conta da data de entrega.".utf8).write(to: policy)
_ = try await balcao.library.add(fileAt: policy, agent: "loja", password: nil)
while let job = try await balcao.database.claimNextJob() { await balcao.pipeline.run(job) }
let widgetOrigin = "http://shop.bench"
if var agent = try balcao.database.agent(named: "loja") {
    agent.widgetOrigins = [widgetOrigin]
    try await balcao.database.save(&agent)
}

/// One widget visitor: opens the event stream as the widget does, posts a question, and returns the seconds from the
/// post to the assistant's answer arriving on the stream (`nil`: no answer while the stream was open).
func widgetRound(port: Int, index: Int) async throws -> (seconds: Double?, accepted: Bool) {
    let client = HTTPClient.shared
    let token = String(format: "bench%027d", index)
    var events = HTTPClientRequest(url: "http://127.0.0.1:\(port)/widget/v1/events?agent=loja&visitor=\(token)&after=0")
    events.headers.add(name: "Origin", value: widgetOrigin)
    let stream = try await client.execute(events, timeout: .seconds(30))
    var chunks = stream.body.makeAsyncIterator()
    _ = try await chunks.next()  // `retry:` and the first look: the stream is open
    var post = HTTPClientRequest(url: "http://127.0.0.1:\(port)/widget/v1/messages")
    post.method = .POST
    post.headers.add(name: "Content-Type", value: "application/json")
    post.headers.add(name: "Origin", value: widgetOrigin)
    post.body = .bytes(ByteBuffer(string: #"{"agent":"loja","visitor":"\#(token)","text":"Qual o prazo para devolução?"}"#))
    let begin = ContinuousClock.now
    let response = try await client.execute(post, timeout: .seconds(30))
    _ = try await response.body.collect(upTo: 1 << 16)
    guard response.status == .accepted else { return (nil, false) }
    var seen = ""
    while let chunk = try await chunks.next() {
        seen += String(buffer: chunk)
        if seen.contains(#""author":"assistant""#) {
            let elapsed = ContinuousClock.now - begin
            return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, true)
        }
    }
    return (nil, true)
}

let daemonPort = PortBox()
let router = try buildRouter(balcao)
var daemon = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: 0)),
    onServerRunning: { channel in
        daemonPort.set(channel.localAddress?.port ?? 0)
    },
    logger: logger
)
if !options.acceptOnly { daemon.addServices(balcao.conversations) }
nonisolated(unsafe) var daemonResult: (latencies: [Double], starts: [String: ContinuousClock.Instant], seconds: Double, failures: Int)!
nonisolated(unsafe) var replyLatencies: [Double] = []
nonisolated(unsafe) var sequentialResult: (latencies: [Double], starts: [String: ContinuousClock.Instant], seconds: Double, failures: Int)!
nonisolated(unsafe) var sequentialReplyLatencies: [Double] = []
nonisolated(unsafe) var widgetLatencies: [Double] = []
nonisolated(unsafe) var widgetRefused = 0
/// Seconds from each delivery's send to its reply reaching the fake Graph API, for the customers in `starts`.
func replyTimes(_ replies: [FakeGraphAPI.RecordedRequest], starts: [String: ContinuousClock.Instant]) -> [Double] {
    replies.compactMap { reply in
        guard let to = reply.json?["to"] as? String, let start = starts[to] else { return nil }
        let elapsed = reply.receivedAt - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
try await withRunning(daemon, portPromise: daemonPort) { port in
    // A burst of `messages` with `concurrency` in flight, then `sequential` deliveries one at a time, each sent once
    // the previous one was accepted (a quiet daemon's latency).
    daemonResult = try await load(port: port, count: options.messages, concurrency: options.concurrency, prefix: "5521")
    if options.acceptOnly {
        let rate = Double(options.messages) / daemonResult.seconds
        let p50 = percentile(daemonResult.latencies, 50) * 1000
        let p99 = percentile(daemonResult.latencies, 99) * 1000
        print(
            String(
                format: "acceptance only (no workers): %.0f/s (bare %.0f/s), webhook p50 %.2f ms, p99 %.2f ms",
                rate,
                Double(options.messages) / bareResult.seconds,
                p50,
                p99
            )
        )
        exit(0)
    }
    let replies = await graph.waitForRequests(options.messages, timeout: .seconds(300)) { !$0.isMarkAsRead }
    replyLatencies = replyTimes(replies, starts: daemonResult.starts)
    sequentialResult = try await load(port: port, count: options.sequential, concurrency: 1, prefix: "5531")
    let all = await graph.waitForRequests(options.messages + options.sequential, timeout: .seconds(300)) { !$0.isMarkAsRead }
    sequentialReplyLatencies = replyTimes(all, starts: sequentialResult.starts)
    // The widget, one visitor at a time, as many as the sequential WhatsApp deliveries.
    for index in 0..<options.sequential {
        let round = try await widgetRound(port: port, index: index)
        if let seconds = round.seconds { widgetLatencies.append(seconds) }
        if !round.accepted { widgetRefused += 1 }
    }
}
await graph.stop()
await llm.stop()

// 3. Report.
let daemonRate = Double(options.messages) / daemonResult.seconds
let bareRate = Double(options.messages) / bareResult.seconds
let rows: [(String, Double, Double, Double, String, String, Int)] = [
    (
        "bare Hummingbird endpoint", bareRate, percentile(bareResult.latencies, 50) * 1000, percentile(bareResult.latencies, 99) * 1000, "-", "-",
        bareResult.failures
    ),
    (
        "balcao webhook", daemonRate, percentile(daemonResult.latencies, 50) * 1000, percentile(daemonResult.latencies, 99) * 1000,
        String(format: "%.1f", percentile(replyLatencies, 50) * 1000), String(format: "%.1f", percentile(replyLatencies, 99) * 1000),
        daemonResult.failures
    ),
]
print("webhook benchmark: \(options.messages) signed deliveries, \(options.concurrency) in flight, quiet period 0 s, zero-latency fakes")
print("| endpoint | accepted/s | webhook p50 ms | webhook p99 ms | message→reply p50 ms | message→reply p99 ms | non-200 |")
print("|---|---|---|---|---|---|---|")
for row in rows {
    print(
        "| \(row.0) | \(String(format: "%.0f", row.1)) | \(String(format: "%.2f", row.2)) | \(String(format: "%.2f", row.3)) | \(row.4) | \(row.5) | \(row.6) |"
    )
}
print("replies received: \(replyLatencies.count) of \(options.messages)")
let sequentialWebhookP50 = percentile(sequentialResult.latencies, 50) * 1000
let sequentialWebhookP99 = percentile(sequentialResult.latencies, 99) * 1000
let sequentialReplyP50 = percentile(sequentialReplyLatencies, 50) * 1000
let sequentialReplyP99 = percentile(sequentialReplyLatencies, 99) * 1000
print("")
print("one in flight: \(options.sequential) deliveries, each sent when the previous one was accepted")
print("| endpoint | webhook p50 ms | webhook p99 ms | message→reply p50 ms | message→reply p99 ms | non-200 |")
print("|---|---|---|---|---|---|")
print(
    "| balcao webhook | \(String(format: "%.2f", sequentialWebhookP50)) | \(String(format: "%.2f", sequentialWebhookP99)) | "
        + "\(String(format: "%.1f", sequentialReplyP50)) | \(String(format: "%.1f", sequentialReplyP99)) | \(sequentialResult.failures) |"
)
print("replies received: \(sequentialReplyLatencies.count) of \(options.sequential)")
let widgetP50 = percentile(widgetLatencies, 50) * 1000
let widgetP99 = percentile(widgetLatencies, 99) * 1000
print("")
print("message→answer, one in flight: WhatsApp (webhook → the Graph API's send) beside the website widget (its POST → the answer's event)")
print("| channel | messages | answered | p50 ms | p99 ms |")
print("|---|---|---|---|---|")
print(
    "| WhatsApp | \(options.sequential) | \(sequentialReplyLatencies.count) | \(String(format: "%.1f", sequentialReplyP50)) | "
        + "\(String(format: "%.1f", sequentialReplyP99)) |"
)
print(
    "| website widget | \(options.sequential) | \(widgetLatencies.count) | \(String(format: "%.1f", widgetP50)) | \(String(format: "%.1f", widgetP99)) |"
)
let answered = replyLatencies.count + sequentialReplyLatencies.count
let failures = daemonResult.failures + sequentialResult.failures
let goals: [[String: Any]] = [
    [
        "goal": "accepted/s at \(options.concurrency) in flight, as a share of the bare endpoint", "measured": daemonRate / bareRate,
        "target": 0.5, "met": daemonRate / bareRate >= 0.5,
    ],
    [
        "goal": "webhook p99 at \(options.concurrency) in flight (ms)", "measured": percentile(daemonResult.latencies, 99) * 1000,
        "target": 25, "met": percentile(daemonResult.latencies, 99) * 1000 <= 25,
    ],
    ["goal": "message→reply p50 at one in flight (ms)", "measured": sequentialReplyP50, "target": 20, "met": sequentialReplyP50 <= 20],
    ["goal": "webhook p50 at one in flight (ms)", "measured": sequentialWebhookP50, "target": "reported"],
    ["goal": "webhook p99 at one in flight (ms)", "measured": sequentialWebhookP99, "target": "reported"],
    ["goal": "message→reply p50 of the burst (ms)", "measured": percentile(replyLatencies, 50) * 1000, "target": "reported"],
    ["goal": "every delivery accepted (non-200 count)", "measured": failures, "target": 0, "met": failures == 0],
    ["goal": "widget message→answer p50 at one in flight (ms)", "measured": widgetP50, "target": 20, "met": widgetP50 <= 20],
    ["goal": "widget message→answer p99 at one in flight (ms)", "measured": widgetP99, "target": "reported"],
    [
        "goal": "every widget message answered (answers)", "measured": widgetLatencies.count, "target": options.sequential,
        "met": widgetLatencies.count == options.sequential && widgetRefused == 0,
    ],
    [
        "goal": "every delivery answered exactly once (replies)", "measured": answered, "target": options.messages + options.sequential,
        "met": answered == options.messages + options.sequential,
    ],
]
let report: [String: Any] = [
    "messages": options.messages, "concurrency": options.concurrency,
    "bare": [
        "accepted_per_s": bareRate, "p50_ms": percentile(bareResult.latencies, 50) * 1000, "p99_ms": percentile(bareResult.latencies, 99) * 1000,
    ],
    "daemon": [
        "accepted_per_s": daemonRate, "p50_ms": percentile(daemonResult.latencies, 50) * 1000,
        "p99_ms": percentile(daemonResult.latencies, 99) * 1000,
        "reply_p50_ms": percentile(replyLatencies, 50) * 1000, "reply_p99_ms": percentile(replyLatencies, 99) * 1000, "replies": replyLatencies.count,
    ],
    "one_in_flight": [
        "messages": options.sequential, "p50_ms": sequentialWebhookP50, "p99_ms": sequentialWebhookP99, "reply_p50_ms": sequentialReplyP50,
        "reply_p99_ms": sequentialReplyP99, "replies": sequentialReplyLatencies.count,
    ],
    "widget": [
        "messages": options.sequential, "answered": widgetLatencies.count, "refused": widgetRefused, "answer_p50_ms": widgetP50,
        "answer_p99_ms": widgetP99,
    ],
    "goals": goals,
]
try FileManager.default.createDirectory(
    atPath: URL(fileURLWithPath: options.output).deletingLastPathComponent().path,
    withIntermediateDirectories: true
)
try JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: options.output))
print("wrote \(options.output)")
