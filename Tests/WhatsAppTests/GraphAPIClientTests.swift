import AsyncHTTPClient
import BalcaoTesting
import Foundation
import Testing
import WhatsApp

/// The real client against ``FakeGraphAPI`` over loopback HTTP.
@Suite("Graph API client over loopback")
struct GraphAPIClientTests {
    static let phoneNumberID = "106540352242922"

    /// Expects `operation` to throw a ``GraphAPIError`` and returns it.
    private func failure(_ operation: () async throws -> Void) async -> GraphAPIError? {
        do {
            try await operation()
            Issue.record("expected a failure")
            return nil
        } catch let error as GraphAPIError {
            return error
        } catch {
            Issue.record("not a GraphAPIError: \(error)")
            return nil
        }
    }

    @Test func sendsTextExactlyAsDocumented() async throws {
        try await withFakeGraphAPI { fake, client in
            let message = OutgoingMessage.text("Olá, café às 9h! https://loja.example/a", to: .phone("16505551234"), replyTo: "wamid.IN")
            let sent = try await client.send(message, from: Self.phoneNumberID)
            let request = try #require(fake.requests.first)
            #expect(fake.requests.count == 1)
            #expect(sent.messageID == request.responseMessageID)
            #expect(sent.messageID.hasPrefix("wamid."))
            #expect(sent.waID == "16505551234")
            #expect(request.method == "POST")
            #expect(request.path == "/v25.0/\(Self.phoneNumberID)/messages")
            #expect(request.apiVersion == "v25.0")
            #expect(request.phoneNumberID == Self.phoneNumberID)
            #expect(request.authorization == "Bearer token-123")
            #expect(request.headers["content-type"] == "application/json")
            let json = try #require(request.json)
            #expect(Set(json.keys) == ["messaging_product", "recipient_type", "to", "type", "text", "context"])
            #expect(json["messaging_product"] as? String == "whatsapp")
            #expect(json["recipient_type"] as? String == "individual")
            #expect(json["to"] as? String == "16505551234")
            #expect(json["type"] as? String == "text")
            let text = try #require(json["text"] as? [String: Any])
            #expect(text["body"] as? String == "Olá, café às 9h! https://loja.example/a")
            #expect(text["preview_url"] as? Bool == false)
            #expect((json["context"] as? [String: Any])?["message_id"] as? String == "wamid.IN")
            // UTF-8 on the wire, slashes unescaped.
            let raw = String(decoding: request.body, as: UTF8.self)
            #expect(raw.contains("café"))
            #expect(raw.contains("https://loja.example/a"))
        }
    }

    @Test func sendsToBSUIDWithRecipientField() async throws {
        try await withFakeGraphAPI { fake, client in
            let sent = try await client.send(.text("oi", to: .userID("US.13491208655302741918")), from: Self.phoneNumberID)
            #expect(sent.userID == "US.13491208655302741918")
            let json = try #require(fake.requests.first?.json)
            #expect(json["recipient"] as? String == "US.13491208655302741918")
            #expect(json["to"] == nil)
            #expect(json["context"] == nil)
        }
    }

    @Test func sendsTemplate() async throws {
        try await withFakeGraphAPI { fake, client in
            _ = try await client.send(
                .template("order_update", languageCode: "pt_BR", bodyParameters: ["Sheena", "42"], to: .phone("5511999")),
                from: Self.phoneNumberID
            )
            let json = try #require(fake.requests.first?.json)
            #expect(json["type"] as? String == "template")
            #expect(json["text"] == nil)
            let template = try #require(json["template"] as? [String: Any])
            #expect(template["name"] as? String == "order_update")
            #expect((template["language"] as? [String: Any])?["code"] as? String == "pt_BR")
            let components = try #require(template["components"] as? [[String: Any]])
            #expect(components.count == 1)
            #expect(components[0]["type"] as? String == "body")
            let parameters = try #require(components[0]["parameters"] as? [[String: Any]])
            #expect(parameters.map { $0["type"] as? String } == ["text", "text"])
            #expect(parameters.map { $0["text"] as? String } == ["Sheena", "42"])

            _ = try await client.send(.template("hello_world", languageCode: "en_US", to: .phone("5511999")), from: Self.phoneNumberID)
            let plain = try #require(fake.requests.last?.json?["template"] as? [String: Any])
            #expect(plain["components"] == nil)
        }
    }

    @Test func callbackDataIsSent() async throws {
        try await withFakeGraphAPI { fake, client in
            var message = OutgoingMessage.text("x", to: .phone("1"))
            message.callbackData = "outbox-7"
            _ = try await client.send(message, from: Self.phoneNumberID)
            #expect(fake.requests.first?.json?["biz_opaque_callback_data"] as? String == "outbox-7")
        }
    }

    @Test func marksReadWithTypingIndicator() async throws {
        try await withFakeGraphAPI { fake, client in
            try await client.markAsRead(messageID: "wamid.IN", phoneNumberID: Self.phoneNumberID, typingIndicator: true)
            try await client.markAsRead(messageID: "wamid.IN2", phoneNumberID: Self.phoneNumberID, typingIndicator: false)
            let requests = fake.requests
            #expect(requests.count == 2)
            let first = try #require(requests[0].json)
            #expect(Set(first.keys) == ["messaging_product", "status", "message_id", "typing_indicator"])
            #expect(first["messaging_product"] as? String == "whatsapp")
            #expect(first["status"] as? String == "read")
            #expect(first["message_id"] as? String == "wamid.IN")
            #expect((first["typing_indicator"] as? [String: Any])?["type"] as? String == "text")
            #expect(requests[1].json?["typing_indicator"] == nil)
            #expect(requests.allSatisfy { $0.isMarkAsRead })
        }
    }

    @Test func reEngagementIsNotRetried() async throws {
        try await withFakeGraphAPI { fake, client in
            fake.failNext(1, with: .reEngagement)
            let error = await failure { _ = try await client.send(.text("late", to: .phone("1")), from: Self.phoneNumberID) }
            guard case .api(let response) = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(response.code == 131047)
            #expect(response.httpStatus == 400)
            #expect(response.type == "OAuthException")
            #expect(response.details?.contains("24 hours") == true)
            #expect(response.fbtraceID != nil)
            #expect(error?.policy == .doNotRetry)
            #expect(error?.requestMayHaveBeenSent == false)
        }
    }

    @Test(arguments: [
        (FakeGraphAPI.GraphError.expiredToken, SendFailurePolicy.stopAndAlert), (.invalidToken, .stopAndAlert),
        (.policyBlocked, .stopAndAlert), (.accountLocked, .stopAndAlert), (.spamRateLimit, .stopAndAlert),
        (.rateLimit, .retry), (.pairRateLimit, .retry), (.somethingWentWrong, .retry), (.serviceUnavailable, .retry),
        (.undeliverable, .doNotRetry), (.invalidParameter, .doNotRetry),
    ])
    func eachPolicyClassOverHTTP(graphError: FakeGraphAPI.GraphError, expected: SendFailurePolicy) async throws {
        try await withFakeGraphAPI { fake, client in
            fake.failNext(1, with: graphError)
            let error = await failure { _ = try await client.send(.text("x", to: .phone("1")), from: Self.phoneNumberID) }
            guard case .api(let response) = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(response.code == graphError.code)
            #expect(response.subcode == graphError.subcode)
            #expect(response.httpStatus == graphError.httpStatus)
            #expect(error?.policy == expected)
            // The failure was one-shot: the next send goes through.
            let sent = try await client.send(.text("x", to: .phone("1")), from: Self.phoneNumberID)
            #expect(!sent.messageID.isEmpty)
            #expect(fake.requests.map(\.responseStatus) == [graphError.httpStatus, 200])
        }
    }

    @Test func rateLimitThenSuccess() async throws {
        try await withFakeGraphAPI { fake, client in
            fake.failNext(2, with: .rateLimit)
            let backoff = RetryBackoff(base: .milliseconds(10), cap: .milliseconds(40), maximumAttempts: 5)
            var attempt = 0
            var result: SentMessage?
            while result == nil {
                do {
                    result = try await client.send(.text("x", to: .phone("1")), from: Self.phoneNumberID)
                } catch let error as GraphAPIError {
                    #expect(error.policy == .retry)
                    #expect(error.code == 130429)
                    attempt += 1
                    guard backoff.shouldRetry(afterAttempt: attempt) else { break }
                    try await Task.sleep(for: backoff.delay(forAttempt: attempt))
                }
            }
            #expect(result != nil)
            #expect(attempt == 2)
            #expect(fake.requests.count == 3)
        }
    }

    @Test func wrongTokenIsRejectedWith190() async throws {
        let fake = try await FakeGraphAPI.start(accessToken: "right")
        let client = GraphAPIClient(baseURL: fake.baseURL, accessToken: "wrong")
        let error = await failure { _ = try await client.send(.text("x", to: .phone("1")), from: Self.phoneNumberID) }
        #expect(error?.code == 190)
        #expect(error?.policy == .stopAndAlert)
        #expect(fake.requests.first?.responseStatus == 401)
        #expect(fake.requests.first?.authorization == "Bearer wrong")
        await fake.stop()
    }

    @Test func gatewayErrorPageIsRetriedAndMayHaveBeenSent() async throws {
        try await withFakeGraphAPI { fake, client in
            fake.failNext(1, status: 502, body: "<html><body>Bad Gateway</body></html>")
            let error = await failure { _ = try await client.send(.text("x", to: .phone("1")), from: Self.phoneNumberID) }
            guard case .httpStatus(let status, let body) = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(status == 502)
            #expect(body.contains("Bad Gateway"))
            #expect(error?.policy == .retry)
            #expect(error?.requestMayHaveBeenSent == true)
        }
    }

    @Test func errorInsideA200IsStillAnError() async throws {
        try await withFakeGraphAPI { fake, client in
            fake.failNext(1, status: 200, body: #"{"error":{"message":"(#131009) Parameter value is not valid","code":131009}}"#, forMarkAsRead: true)
            let error = await failure { try await client.markAsRead(messageID: "bad", phoneNumberID: Self.phoneNumberID, typingIndicator: true) }
            #expect(error?.code == 131009)
            #expect(error?.policy == .doNotRetry)
        }
    }

    @Test func successWithoutMessageIDIsInvalidResponse() async throws {
        try await withFakeGraphAPI { fake, client in
            fake.failNext(1, status: 200, body: #"{"messaging_product":"whatsapp","messages":[]}"#)
            let error = await failure { _ = try await client.send(.text("x", to: .phone("1")), from: Self.phoneNumberID) }
            guard case .invalidResponse(let status, _) = error else {
                Issue.record("got \(String(describing: error))")
                return
            }
            #expect(status == 200)
            #expect(error?.requestMayHaveBeenSent == true)
        }
    }

    @Test func timeoutAfterSendingMayHaveBeenSent() async throws {
        let fake = try await FakeGraphAPI.start(accessToken: "t")
        let client = GraphAPIClient(baseURL: fake.baseURL, accessToken: "t", timeout: .milliseconds(300))
        fake.delayNext(1, by: .seconds(2))
        // A timeout error shows the client gave up: waiting on would have got the fake's answer.
        let error = await failure { _ = try await client.send(.text("x", to: .phone("1")), from: Self.phoneNumberID) }
        #expect(error == .timeout(requestMayHaveBeenSent: true))
        #expect(error?.policy == .retry)
        // The fake did receive it: exactly the double-send risk the flag warns about.
        #expect(await fake.waitForRequests(1, timeout: .seconds(60)).count == 1)
        await fake.stop()
    }

    @Test func refusedConnectionCertainlyNotSent() async throws {
        let refusing = try RefusingPort()
        // AsyncHTTPClient keeps retrying a refused connection until the deadline, then reports the connect error.
        let client = GraphAPIClient(baseURL: refusing.baseURL, accessToken: "t", timeout: .seconds(1))
        let error = await failure { _ = try await client.send(.text("x", to: .phone("1")), from: Self.phoneNumberID) }
        #expect(error?.requestMayHaveBeenSent == false, "\(String(describing: error))")
        #expect(error?.policy == .retry)
        withExtendedLifetime(refusing) {}
    }

    @Test func invalidRequestsNeverLeave() async throws {
        try await withFakeGraphAPI { fake, client in
            let tooLong = String(repeating: "a", count: 4097)
            var error = await failure { _ = try await client.send(.text(tooLong, to: .phone("1")), from: Self.phoneNumberID) }
            #expect(error?.policy == .doNotRetry)
            error = await failure { _ = try await client.send(.text("", to: .phone("1")), from: Self.phoneNumberID) }
            #expect(error?.requestMayHaveBeenSent == false)
            error = await failure { _ = try await client.send(.text("x", to: .phone("")), from: Self.phoneNumberID) }
            #expect(error != nil)
            error = await failure { _ = try await client.send(.text("x", to: .phone("1")), from: "../other") }
            #expect(error != nil)
            error = await failure { _ = try await client.send(.text("x", to: .phone("1")), from: "") }
            #expect(error != nil)
            #expect(fake.requests.isEmpty)
        }
    }

    @Test func fakeRejectsInvalidBodiesLikeMeta() async throws {
        try await withFakeGraphAPI { fake, _ in
            let url = fake.baseURL + "/\(Self.phoneNumberID)/messages"
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer token-123")
            request.body = .bytes(Array(#"{"to":"1","type":"text","text":{"body":"x"}}"#.utf8))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            #expect(response.status.code == 400)
            let body = try await response.body.collect(upTo: 1 << 16)
            #expect(String(buffer: body).contains("\"code\":100"))
        }
    }

    @Test func versionlessPathAndTrailingSlashBase() async throws {
        let fake = try await FakeGraphAPI.start(accessToken: "t")
        let root = "http://127.0.0.1:\(fake.port)/"
        let client = GraphAPIClient(baseURL: root, accessToken: "t")
        #expect(client.baseURL == "http://127.0.0.1:\(fake.port)")
        _ = try await client.send(.text("x", to: .phone("1")), from: "123")
        #expect(fake.requests.first?.path == "/123/messages")
        #expect(fake.requests.first?.apiVersion == nil)
        await fake.stop()
    }

    @Test func documentedResponsesParse() throws {
        let sent = try GraphAPIWire.parseSendResponse(
            status: 200,
            body: try Fixtures.data("api/send_message_response_official_docs.json")
        )
        #expect(sent.messageID == "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA")
        #expect(sent.waID == "16505555555")
        try GraphAPIWire.parseSuccessResponse(status: 200, body: try Fixtures.data("api/mark_read_or_typing_response_official_docs.json"))
        for file in ["api/error_190_expired_token.json", "api/error_190_invalid_token.json"] {
            #expect {
                _ = try GraphAPIWire.parseSendResponse(status: 401, body: try Fixtures.data(file))
            } throws: { error in
                guard case .api(let response) = error as? GraphAPIError else { return false }
                return response.code == 190 && response.httpStatus == 401 && response.fbtraceID != nil
                    && (error as? GraphAPIError)?.policy == .stopAndAlert
            }
        }
        let expired = try Fixtures.data("api/error_190_expired_token.json")
        do {
            _ = try GraphAPIWire.parseSendResponse(status: 401, body: expired, retryAfter: "7")
        } catch {
            guard case .api(let response) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(response.subcode == 463)
            #expect(response.message?.hasPrefix("Error validating access token") == true)
            #expect(response.retryAfter == .seconds(7))
        }
    }

    @Test func fakeWaitsForRequests() async throws {
        try await withFakeGraphAPI { fake, client in
            Task { _ = try? await client.send(.text("later", to: .phone("1")), from: Self.phoneNumberID) }
            let received = await fake.waitForRequests(1, timeout: .seconds(60))
            #expect(received.first?.textBody == "later")
            #expect(fake.sentMessages.count == 1)
            fake.reset()
            #expect(fake.requests.isEmpty)
        }
    }
}
