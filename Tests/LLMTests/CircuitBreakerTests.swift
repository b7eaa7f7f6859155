import BalcaoTesting
import Foundation
import Testing

@testable import LLM

@Suite struct CircuitBreakerTests {
    @Test func opensAfterConsecutiveFailuresFailsFastAndRecoversAfterCoolDown() async throws {
        try await withFakeLLM(reply: "voltei") { llm in
            let clock = TestClock()
            let model = client(llm, clock: clock, maxAttempts: 1, breaker: .init(failureThreshold: 3, coolDown: .seconds(30)))
            llm.failNext(100, status: 503)
            for _ in 0..<3 {
                let error = await expectLLMError { try await model.complete(question) }
                #expect(error?.kind == .server(status: 503))
            }
            #expect(llm.requestCount == 3)
            #expect({ if case .open = model.circuitState { true } else { false } }())

            // Open: fails fast, no request reaches the server.
            let fast = await expectLLMError { try await model.complete(question) }
            #expect(fast?.kind == .circuitOpen)
            #expect(fast?.attempts == 0)
            #expect(fast?.message.contains("failing fast") == true)
            #expect(llm.requestCount == 3)

            // Still open just before the cool-down ends.
            clock.advance(by: .seconds(29))
            #expect(await expectLLMError { try await model.complete(question) }?.kind == .circuitOpen)
            #expect(llm.requestCount == 3)

            // After the cool-down one probe goes through; the service is back, so the circuit closes.
            clock.advance(by: .seconds(2))
            #expect(model.circuitState == .halfOpen(probeInFlight: false))
            llm.reset()
            let completion = try await model.complete(question)
            #expect(completion.text == "voltei")
            #expect(model.circuitState == .closed(failures: 0))
            _ = try await model.complete(question)
            #expect(llm.requestCount == 2)
        }
    }

    @Test func failedProbeReopensForAnotherCoolDown() async throws {
        try await withFakeLLM { llm in
            let clock = TestClock()
            let model = client(llm, clock: clock, maxAttempts: 1, breaker: .init(failureThreshold: 2, coolDown: .seconds(10)))
            llm.failNext(3, status: 500)
            _ = await expectLLMError { try await model.complete(question) }
            _ = await expectLLMError { try await model.complete(question) }
            clock.advance(by: .seconds(11))
            // The probe fails: open again at once.
            #expect(await expectLLMError { try await model.complete(question) }?.kind == .server(status: 500))
            #expect(llm.requestCount == 3)
            #expect(await expectLLMError { try await model.complete(question) }?.kind == .circuitOpen)
            #expect(llm.requestCount == 3)
            clock.advance(by: .seconds(11))
            _ = try await model.complete(question)
            #expect(model.circuitState == .closed(failures: 0))
        }
    }

    @Test func retriesStopWhenTheCircuitOpensMidCall() async throws {
        try await withFakeLLM { llm in
            let clock = TestClock()
            let model = client(llm, clock: clock, maxAttempts: 5, breaker: .init(failureThreshold: 2, coolDown: .seconds(60)))
            llm.failNext(10, status: 502)
            let error = await expectLLMError { try await model.complete(question) }
            // The underlying failure is reported, noting the breaker.
            #expect(error?.kind == .server(status: 502))
            #expect(error?.message.contains("circuit breaker is now open") == true)
            #expect(llm.requestCount == 2)
        }
    }

    @Test func clientErrorsDoNotOpenTheCircuit() async throws {
        try await withFakeLLM { llm in
            let model = client(llm, maxAttempts: 1, breaker: .init(failureThreshold: 2, coolDown: .seconds(60)))
            llm.failNext(4, status: 400)
            for _ in 0..<4 {
                #expect(await expectLLMError { try await model.complete(question) }?.kind == .badRequest(message: "fake failure"))
            }
            #expect(model.circuitState == .closed(failures: 0))
        }
    }

    @Test func successResetsTheFailureCount() async throws {
        try await withFakeLLM { llm in
            let model = client(llm, maxAttempts: 1, breaker: .init(failureThreshold: 3, coolDown: .seconds(60)))
            llm.failNext(2, status: 500)
            _ = await expectLLMError { try await model.complete(question) }
            _ = await expectLLMError { try await model.complete(question) }
            #expect(model.circuitState == .closed(failures: 2))
            _ = try await model.complete(question)
            #expect(model.circuitState == .closed(failures: 0))
        }
    }

    @Test func onlyOneProbeWhileHalfOpen() throws {
        let clock = TestClock()
        let breaker = CircuitBreaker(configuration: .init(failureThreshold: 1, coolDown: .seconds(5)), clock: clock)
        breaker.recordFailure()
        #expect(throws: LLMError.self) { try breaker.acquire() }
        clock.advance(by: .seconds(5))
        let probe = try breaker.acquire()
        #expect({ if case .probe = probe { true } else { false } }())
        #expect(throws: LLMError.self) { try breaker.acquire() }
        breaker.recordNeutral(probe)
        _ = try breaker.acquire()
        breaker.recordSuccess()
        #expect(breaker.currentState == .closed(failures: 0))
    }
}
