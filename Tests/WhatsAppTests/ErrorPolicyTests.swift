import Foundation
import Testing
import WhatsApp

@Suite("Send failure policy and backoff")
struct ErrorPolicyTests {
    @Test(arguments: [
        // The codes the product specifies.
        (131047, 400, SendFailurePolicy.doNotRetry), (131026, 400, .doNotRetry), (100, 400, .doNotRetry),
        (131008, 400, .doNotRetry), (131009, 400, .doNotRetry),
        (190, 401, .stopAndAlert), (368, 403, .stopAndAlert), (131031, 403, .stopAndAlert), (131048, 400, .stopAndAlert),
        (130429, 429, .retry), (130429, 400, .retry), (131056, 400, .retry), (131000, 500, .retry), (131016, 503, .retry),
        (2, 503, .retry),
        // Documented extras.
        (132001, 404, .doNotRetry), (132015, 400, .doNotRetry), (131062, 400, .doNotRetry), (130472, 400, .doNotRetry),
        (10, 403, .stopAndAlert), (200, 403, .stopAndAlert), (133010, 400, .stopAndAlert), (0, 401, .stopAndAlert),
        (4, 400, .retry), (80007, 400, .retry),
        // Unknown codes: by HTTP status.
        (999_999, 400, .doNotRetry), (999_999, 404, .doNotRetry), (999_999, 500, .retry), (999_999, 502, .retry),
        (999_999, 429, .retry), (999_999, 200, .doNotRetry),
    ])
    func policyTable(code: Int, status: Int, expected: SendFailurePolicy) {
        #expect(SendFailurePolicy.forError(code: code, httpStatus: status) == expected)
        #expect(GraphAPIError.api(GraphAPIErrorResponse(httpStatus: status, code: code)).policy == expected)
    }

    @Test func nonAPIErrors() {
        #expect(GraphAPIError.httpStatus(502, body: "<html>").policy == .retry)
        #expect(GraphAPIError.httpStatus(502, body: "").requestMayHaveBeenSent)
        #expect(GraphAPIError.httpStatus(404, body: "").policy == .doNotRetry)
        #expect(!GraphAPIError.httpStatus(404, body: "").requestMayHaveBeenSent)
        #expect(GraphAPIError.timeout(requestMayHaveBeenSent: true).policy == .retry)
        #expect(GraphAPIError.transport("refused", requestMayHaveBeenSent: false).policy == .retry)
        #expect(GraphAPIError.invalidRequest("too long").policy == .doNotRetry)
        #expect(GraphAPIError.invalidResponse(status: 200, body: "{}").policy == .doNotRetry)
        #expect(GraphAPIError.invalidResponse(status: 200, body: "{}").requestMayHaveBeenSent)
        #expect(!GraphAPIError.api(GraphAPIErrorResponse(httpStatus: 400, code: 131047)).requestMayHaveBeenSent)
    }

    @Test func descriptionNamesCodeAndTrace() {
        let error = GraphAPIError.api(
            GraphAPIErrorResponse(httpStatus: 401, code: 190, subcode: 463, message: "expired", fbtraceID: "TRACE")
        )
        #expect(error.description.contains("190/463"))
        #expect(error.description.contains("TRACE"))
        #expect(error.code == 190)
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test func backoffGrowsWithJitterAndCap() {
        let backoff = RetryBackoff(base: .seconds(1), cap: .seconds(30), maximumAttempts: 8)
        var generator = SeededGenerator(state: 7)
        for attempt in 1...10 {
            let nominal = min(30, pow(2, Double(attempt - 1)))
            #expect(seconds(backoff.nominalDelay(forAttempt: attempt)) == nominal)
            var seen: Set<Int> = []
            for _ in 0..<50 {
                let delay = seconds(backoff.delay(forAttempt: attempt, using: &generator))
                #expect(delay >= nominal / 2 - 0.001 && delay <= nominal + 0.001, "attempt \(attempt): \(delay)")
                seen.insert(Int(delay * 1000))
            }
            #expect(seen.count > 10, "jitter varies")
        }
        #expect(seconds(backoff.nominalDelay(forAttempt: 1000)) == 30)
        #expect(backoff.shouldRetry(afterAttempt: 7))
        #expect(!backoff.shouldRetry(afterAttempt: 8))
    }

    @Test func retryAfterAndCodeFloors() {
        let backoff = RetryBackoff()
        var generator = SeededGenerator(state: 1)
        let retryAfter = GraphAPIError.api(GraphAPIErrorResponse(httpStatus: 429, code: 130429, retryAfter: .seconds(42)))
        #expect(seconds(backoff.delay(forAttempt: 1, after: retryAfter, using: &generator)) >= 42)
        let pair = GraphAPIError.api(GraphAPIErrorResponse(httpStatus: 400, code: 131056))
        #expect(seconds(backoff.delay(forAttempt: 1, after: pair, using: &generator)) >= 6)
        let app = GraphAPIError.api(GraphAPIErrorResponse(httpStatus: 400, code: 4))
        #expect(seconds(backoff.delay(forAttempt: 1, after: app, using: &generator)) >= 60)
        #expect(seconds(backoff.delay(forAttempt: 1)) <= 1)
    }
}
