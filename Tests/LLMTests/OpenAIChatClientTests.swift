import BalcaoTesting
import Foundation
import Synchronization
import Testing

@testable import LLM

/// A clock whose sleeps return at once and advance its reading, so backoff and cool-downs cost no real time.
final class TestClock: LLMClock {
    private let state = Mutex<(now: Duration, sleeps: [Duration])>((.zero, []))

    func now() -> Duration { state.withLock { $0.now } }
    func currentDate() -> Date {
        let c = now().components
        return Date(timeIntervalSince1970: 1_800_000_000 + Double(c.seconds) + Double(c.attoseconds) / 1e18)
    }
    func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        state.withLock {
            $0.now += duration
            $0.sleeps.append(duration)
        }
    }
    func advance(by duration: Duration) { state.withLock { $0.now += duration } }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }
}

/// Runs `body` with a fresh fake server, always stopping it.
func withFakeLLM<T>(reply: String = "Resposta de teste.", _ body: (FakeLLM) async throws -> T) async throws -> T {
    let llm = try await FakeLLM.start(reply: reply)
    do {
        let result = try await body(llm)
        await llm.stop()
        return result
    } catch {
        await llm.stop()
        throw error
    }
}

func client(
    _ llm: FakeLLM,
    clock: TestClock = TestClock(),
    apiKey: String? = "sk-test",
    timeout: Duration = .seconds(10),
    maxAttempts: Int = 3,
    breaker: CircuitBreaker.Configuration = CircuitBreaker.Configuration(failureThreshold: 50, coolDown: .seconds(30))
) -> OpenAIChatClient {
    OpenAIChatClient(
        configuration: .init(
            baseURL: llm.baseURL,
            apiKey: apiKey,
            model: "gpt-test",
            timeout: timeout,
            maxAttempts: maxAttempts,
            initialBackoff: .milliseconds(500),
            maxBackoff: .seconds(8),
            maxRetryAfter: .seconds(30),
            totalDeadline: .seconds(120),
            circuitBreaker: breaker
        ),
        clock: clock
    )
}

let question = ChatRequest(
    messages: [.system("Responda só com base nos trechos.\nTrecho 1: abrimos às 9h."), .user("Que horas abrem?")],
    temperature: 0.2,
    maxTokens: 300
)

/// Expects `body` to throw an ``LLMError`` and returns it.
func expectLLMError(_ body: () async throws -> ChatCompletion, sourceLocation: SourceLocation = #_sourceLocation) async -> LLMError? {
    do {
        let completion = try await body()
        Issue.record("expected an LLMError, got a completion: \(completion.text)", sourceLocation: sourceLocation)
        return nil
    } catch let error as LLMError {
        return error
    } catch {
        Issue.record("expected an LLMError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite struct OpenAIChatClientTests {
    @Test func successReadsTextUsageModelAndFinishReason() async throws {
        try await withFakeLLM { llm in
            llm.enqueue(.completion("Abrimos às 9h.", model: "gpt-test-2025", finishReason: "stop", usage: (prompt: 42, completion: 7)))
            let completion = try await client(llm).complete(question)
            #expect(completion.text == "Abrimos às 9h.")
            #expect(completion.usage == TokenUsage(promptTokens: 42, completionTokens: 7))
            #expect(completion.usage.totalTokens == 49)
            #expect(!completion.usage.isEstimated)
            #expect(completion.model == "gpt-test-2025")
            #expect(completion.finishReason == "stop")
            #expect(!completion.wasTruncated)
            #expect(completion.attempts == 1)
            #expect(llm.requestCount == 1)
        }
    }

    @Test func requestBodyHeadersAndPath() async throws {
        try await withFakeLLM { llm in
            _ = try await client(llm).complete(question)
            let request = try #require(llm.lastRequest)
            #expect(request.path == "/v1/chat/completions")
            #expect(request.authorization == "Bearer sk-test")
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.model == "gpt-test")
            #expect(
                request.messages == [
                    FakeLLM.Message(role: "system", content: "Responda só com base nos trechos.\nTrecho 1: abrimos às 9h."),
                    FakeLLM.Message(role: "user", content: "Que horas abrem?"),
                ]
            )
            #expect(request.prompt.contains("abrimos às 9h"))
            #expect(request.temperature == 0.2)
            #expect(request.maxTokens == 300)
            #expect(request.jsonObject?["max_tokens"] as? Int == 300)
            #expect(request.stream == false)
        }
    }

    @Test func noAuthorizationWithoutKeyAndTrailingSlashBaseURL() async throws {
        try await withFakeLLM { llm in
            let model = OpenAIChatClient(configuration: .init(baseURL: llm.baseURL + "/", model: "local"), clock: TestClock())
            _ = try await model.complete(ChatRequest(messages: [.user("oi")]))
            let request = try #require(llm.lastRequest)
            #expect(request.path == "/v1/chat/completions")
            #expect(request.authorization == nil)
            #expect(request.temperature == nil)
            #expect(request.jsonObject?["max_tokens"] == nil)
        }
    }

    @Test func maxCompletionTokensField() async throws {
        try await withFakeLLM { llm in
            let model = OpenAIChatClient(
                configuration: .init(baseURL: llm.baseURL, model: "o-test", maxTokensField: .maxCompletionTokens),
                clock: TestClock()
            )
            _ = try await model.complete(ChatRequest(messages: [.user("oi")], maxTokens: 64))
            let json = try #require(llm.lastRequest?.jsonObject)
            #expect(json["max_completion_tokens"] as? Int == 64)
            #expect(json["max_tokens"] == nil)
        }
    }

    @Test func urlJoining() {
        func url(_ base: String) -> String { OpenAIChatClient.Configuration(baseURL: base, model: "m").chatCompletionsURL }
        #expect(url("https://api.openai.com/v1") == "https://api.openai.com/v1/chat/completions")
        #expect(url("https://api.openai.com/v1/") == "https://api.openai.com/v1/chat/completions")
        #expect(url("http://127.0.0.1:11434/v1//") == "http://127.0.0.1:11434/v1/chat/completions")
        #expect(url(" http://h/v1/chat/completions ") == "http://h/v1/chat/completions")
    }

    @Test func serverErrorsTwiceThenSuccess() async throws {
        try await withFakeLLM(reply: "ok") { llm in
            llm.failNext(2, status: 500)
            let clock = TestClock()
            let completion = try await client(llm, clock: clock).complete(question)
            #expect(completion.text == "ok")
            #expect(completion.attempts == 3)
            #expect(llm.requestCount == 3)
            // Exponential backoff with ±25 % jitter: ~0.5 s, then ~1 s.
            let sleeps = clock.sleeps
            #expect(sleeps.count == 2)
            #expect(sleeps[0] >= .milliseconds(375) && sleeps[0] <= .milliseconds(625))
            #expect(sleeps[1] >= .milliseconds(750) && sleeps[1] <= .milliseconds(1250))
            #expect(completion.latency >= sleeps[0] + sleeps[1])
        }
    }

    @Test func serverErrorsExhaustAttempts() async throws {
        try await withFakeLLM { llm in
            llm.failNext(5, status: 503, message: "overloaded")
            let error = await expectLLMError { try await client(llm).complete(question) }
            #expect(error?.kind == .server(status: 503))
            #expect(error?.attempts == 3)
            #expect(error?.message.contains("overloaded") == true)
            #expect(llm.requestCount == 3)
        }
    }

    @Test func rateLimitHonoursRetryAfterSeconds() async throws {
        try await withFakeLLM(reply: "depois") { llm in
            llm.failNext(1, status: 429, retryAfter: "7")
            let clock = TestClock()
            let completion = try await client(llm, clock: clock).complete(question)
            #expect(completion.text == "depois")
            #expect(clock.sleeps == [.seconds(7)])
            #expect(llm.requestCount == 2)
        }
    }

    @Test func rateLimitHonoursRetryAfterHTTPDate() async throws {
        try await withFakeLLM(reply: "depois") { llm in
            let clock = TestClock()
            // The test clock's wall time is 1_800_000_000 (2027-01-15 08:00:00 GMT); ask for 12 s later.
            llm.failNext(1, status: 429, retryAfter: "Fri, 15 Jan 2027 08:00:12 GMT")
            _ = try await client(llm, clock: clock).complete(question)
            #expect(clock.sleeps == [.seconds(12)])
        }
    }

    @Test func retryAfterBeyondTheCapGivesUpAtOnce() async throws {
        try await withFakeLLM { llm in
            llm.failNext(3, status: 429, retryAfter: "3600")
            let clock = TestClock()
            let error = await expectLLMError { try await client(llm, clock: clock).complete(question) }
            #expect(error?.kind == .rateLimited)
            #expect(error?.attempts == 1)
            #expect(clock.sleeps.isEmpty)
            #expect(llm.requestCount == 1)
        }
    }

    @Test func totalDeadlineStopsRetries() async throws {
        try await withFakeLLM { llm in
            llm.failNext(3, status: 500)
            let clock = TestClock()
            let model = OpenAIChatClient(
                configuration: .init(
                    baseURL: llm.baseURL,
                    model: "m",
                    maxAttempts: 10,
                    initialBackoff: .seconds(2),
                    totalDeadline: .milliseconds(4400)
                ),
                clock: clock
            )
            let error = await expectLLMError { try await model.complete(question) }
            #expect(error?.kind == .server(status: 500))
            #expect(error?.message.contains("no time left") == true)
            // Backoffs are 2 s and 4 s ± 25 %: the second attempt starts by 2.5 s, the third could not start before 4.5 s,
            // so the 4.4 s deadline always stops after two (with 5 s, 1.6 s + 3.2 s let a third start in about 6 % of runs).
            #expect(llm.requestCount == 2)
        }
    }

    @Test func unauthorizedIsNotRetried() async throws {
        try await withFakeLLM { llm in
            llm.failNext(3, status: 401, message: "Incorrect API key provided")
            let clock = TestClock()
            let error = await expectLLMError { try await client(llm, clock: clock).complete(question) }
            #expect(error?.kind == .unauthorized)
            #expect(error?.message.contains("Incorrect API key provided") == true)
            #expect(error?.isRetryable == false)
            #expect(llm.requestCount == 1)
            #expect(clock.sleeps.isEmpty)
        }
    }

    @Test func badRequestCarriesTheServerMessage() async throws {
        try await withFakeLLM { llm in
            llm.failNext(1, status: 400, message: "model 'gpt-test' not found")
            let error = await expectLLMError { try await client(llm).complete(question) }
            #expect(error?.kind == .badRequest(message: "model 'gpt-test' not found"))
            #expect(llm.requestCount == 1)
        }
    }

    @Test func slowServerTimesOut() async throws {
        try await withFakeLLM { llm in
            // The server would answer after 10 s. A timeout error shows the client gave up: waiting on would have got
            // the answer. (No bound on the elapsed time: a loaded machine can resume this task seconds late.)
            llm.setDelay(.seconds(10))
            let error = await expectLLMError { try await client(llm, timeout: .milliseconds(300), maxAttempts: 1).complete(question) }
            #expect(error?.kind == .timeout)
            llm.setDelay(.zero)
        }
    }

    @Test func timeoutsAreRetried() async throws {
        try await withFakeLLM(reply: "enfim") { llm in
            // The first answer would come after a minute; the second attempt has 8 s, ample on a loaded machine.
            llm.enqueue(FakeLLM.Reply.completion("tarde demais").delayed(by: .seconds(60)))
            let completion = try await client(llm, timeout: .seconds(8), maxAttempts: 2).complete(question)
            #expect(completion.text == "enfim")
            #expect(completion.attempts == 2)
            #expect(llm.requestCount == 2)
        }
    }

    @Test func malformedJSONIsNotRetried() async throws {
        try await withFakeLLM { llm in
            llm.enqueue(.raw("{\"choices\": [ {\"message\": "))
            let error = await expectLLMError { try await client(llm).complete(question) }
            #expect(error?.kind == .malformedResponse)
            #expect(llm.requestCount == 1)
        }
    }

    @Test func answerWithoutChoicesIsMalformed() async throws {
        try await withFakeLLM { llm in
            llm.enqueue(.raw(#"{"error": {"message": "upstream exploded"}}"#))
            let error = await expectLLMError { try await client(llm).complete(question) }
            #expect(error?.kind == .malformedResponse)
            #expect(error?.message.contains("upstream exploded") == true)
        }
    }

    @Test func missingUsageIsEstimated() async throws {
        try await withFakeLLM { llm in
            llm.enqueue(.completion("doze caracteres!", usage: nil))
            let completion = try await client(llm).complete(question)
            #expect(completion.usage.isEstimated)
            #expect(completion.usage.completionTokens == 4)
            #expect(completion.usage.promptTokens == TokenUsage.estimatePromptTokens(question.messages))
            #expect(completion.usage.promptTokens > 10)
        }
    }

    @Test func connectionRefusedIsATransportError() async throws {
        let refusing = try RefusingPort()
        let clock = TestClock()
        let model = OpenAIChatClient(
            configuration: .init(baseURL: refusing.baseURL + "/v1", model: "m", timeout: .seconds(180), maxAttempts: 2),
            clock: clock
        )
        let started = ContinuousClock.now
        let error = await expectLLMError { try await model.complete(question) }
        // Noticed at once (milliseconds), not after waiting out each attempt's 180 s timeout. The bound is wide because a
        // loaded CI machine has resumed this task 23 s late.
        #expect(ContinuousClock.now - started < .seconds(90))
        #expect(error?.kind == .transport)
        #expect(error?.attempts == 2)
        #expect(clock.sleeps.count == 1)
        withExtendedLifetime(refusing) {}
    }

    @Test func retryAfterParsing() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(OpenAIChatClient.retryAfter(seconds: "3", milliseconds: nil, now: now) == .seconds(3))
        #expect(OpenAIChatClient.retryAfter(seconds: " 1.5 ", milliseconds: nil, now: now) == .milliseconds(1500))
        #expect(OpenAIChatClient.retryAfter(seconds: "3", milliseconds: "250", now: now) == .milliseconds(250))
        #expect(OpenAIChatClient.retryAfter(seconds: "Fri, 15 Jan 2027 08:00:30 GMT", milliseconds: nil, now: now) == .seconds(30))
        #expect(OpenAIChatClient.retryAfter(seconds: "Friday, 15-Jan-27 08:00:30 GMT", milliseconds: nil, now: now) == .seconds(30))
        #expect(OpenAIChatClient.retryAfter(seconds: "Fri, 15 Jan 2027 07:00:00 GMT", milliseconds: nil, now: now) == .zero)
        #expect(OpenAIChatClient.retryAfter(seconds: "-1", milliseconds: nil, now: now) == nil)
        #expect(OpenAIChatClient.retryAfter(seconds: "soon", milliseconds: nil, now: now) == nil)
        #expect(OpenAIChatClient.retryAfter(seconds: nil, milliseconds: nil, now: now) == nil)
    }
}

@Suite struct OpenAIChatClientConcurrencyTests {
    @Test func concurrentCallsShareOneClient() async throws {
        try await withFakeLLM { llm in
            llm.setResponder { request in .completion("eco: \(request.messages.last?.content ?? "")") }
            // A generous per-attempt timeout: 20 requests at once on a loaded 2-core machine must not time out and retry.
            let model: any ChatModel = client(llm, timeout: .seconds(120))
            let texts = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<20 {
                    group.addTask { try await model.complete(ChatRequest(messages: [.user("pergunta \(i)")])).text }
                }
                return try await group.reduce(into: Set<String>()) { $0.insert($1) }
            }
            #expect(texts == Set((0..<20).map { "eco: pergunta \($0)" }))
            #expect(llm.requestCount == 20)
        }
    }

    @Test func fakeServerScriptingAndStop() async throws {
        let llm = try await FakeLLM.start(reply: "fixa")
        #expect(llm.baseURL.hasPrefix("http://127.0.0.1:") && llm.baseURL.hasSuffix("/v1"))
        let model = client(llm, maxAttempts: 1)
        llm.enqueue(.completion("primeira"))
        #expect(try await model.complete(question).text == "primeira")
        #expect(try await model.complete(question).text == "fixa")
        llm.setReply("outra")
        #expect(try await model.complete(question).text == "outra")
        #expect(llm.requestCount == 3)
        llm.reset()
        #expect(llm.requestCount == 0)
        await llm.stop()
        await llm.stop()  // idempotent
        // Stopped: the fake answers nothing more. (Its freed port may already serve another test's server, so the
        // call's own outcome is not asserted here; connectionRefusedIsATransportError covers a refused connection.)
        let afterStop = try? await model.complete(question)
        #expect(afterStop?.text != "outra")
        #expect(llm.requestCount == 0)
    }
}
