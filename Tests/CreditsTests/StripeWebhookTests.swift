import Credits
import Foundation
import Testing

@Suite struct StripeWebhookTests {
    static let secret = "whsec_test_secret"
    let clock = TestNow()

    var webhook: StripeWebhook { StripeWebhook(secret: Self.secret, now: clock.closure) }

    static func event(
        id: String = "evt_1",
        type: String = "checkout.session.completed",
        paymentStatus: String? = "paid",
        credits: String? = "100"
    )
        -> Data
    {
        var session: [String: Any] = ["id": "cs_test_1", "object": "checkout.session", "amount_total": 5000, "currency": "brl"]
        if let paymentStatus { session["payment_status"] = paymentStatus }
        session["metadata"] = credits.map { ["credits": $0, "note": "pacote"] } ?? ["note": "other product"]
        let event: [String: Any] = ["id": id, "object": "event", "type": type, "created": 1_800_000_000, "data": ["object": session]]
        return try! JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])
    }

    func sign(_ body: Data, secret: String = secret, at date: Date? = nil) -> String {
        StripeWebhook.signatureHeader(payload: body, secret: secret, timestamp: date ?? clock.date)
    }

    @Test func validSignatureVerifies() throws {
        let body = Self.event()
        let signedAt = try webhook.verify(payload: body, signatureHeader: sign(body))
        #expect(signedAt == clock.date)
        // Matches Stripe's documented scheme: HMAC-SHA256 over "t.body", hex.
        #expect(sign(Data("{}".utf8)).hasPrefix("t=1800000000,v1="))
    }

    @Test func knownVector() throws {
        // Computed independently with Python: hmac.new(b"whsec_test_secret", b'1800000000.{"id":"evt_x"}', sha256).hexdigest()
        let body = Data(#"{"id":"evt_x"}"#.utf8)
        let expected = "4ccf6ae4f83de2d4e41f5a62251cf6bc6046cf12108b3f20b24a4c6e175af594"
        #expect(sign(body) == "t=1800000000,v1=\(expected)")
        try webhook.verify(payload: body, signatureHeader: "t=1800000000,v1=\(expected)")
        try webhook.verify(payload: body, signatureHeader: "t=1800000000,v1=\(expected.uppercased())")
    }

    @Test func wrongSecretTamperedBodyAndExpiredTimestampAreRejected() {
        let body = Self.event()
        #expect(throws: StripeSignatureError.signatureMismatch) {
            try webhook.verify(payload: body, signatureHeader: sign(body, secret: "whsec_other"))
        }
        var tampered = body
        tampered.replaceSubrange(tampered.range(of: Data("100".utf8))!, with: Data("900".utf8))
        #expect(throws: StripeSignatureError.signatureMismatch) {
            try webhook.verify(payload: tampered, signatureHeader: sign(body))
        }
        let old = clock.date.addingTimeInterval(-301)
        #expect(throws: StripeSignatureError.timestampOutsideTolerance(ageSeconds: 301)) {
            try webhook.verify(payload: body, signatureHeader: sign(body, at: old))
        }
        #expect(throws: StripeSignatureError.self) {
            try webhook.verify(payload: body, signatureHeader: sign(body, at: clock.date.addingTimeInterval(400)))
        }
        // Within the tolerance.
        #expect(throws: Never.self) { try webhook.verify(payload: body, signatureHeader: sign(body, at: clock.date.addingTimeInterval(-299))) }
        // Re-signing with a changed t but the old v1 fails.
        let header = sign(body).replacingOccurrences(of: "t=1800000000", with: "t=1800000001")
        #expect(throws: StripeSignatureError.signatureMismatch) { try webhook.verify(payload: body, signatureHeader: header) }
    }

    @Test func anyOfSeveralV1SignaturesAndSecrets() throws {
        let body = Self.event()
        let good = String(sign(body).split(separator: ",")[1])
        let bad = String(sign(body, secret: "whsec_old").split(separator: ",")[1])
        try webhook.verify(payload: body, signatureHeader: "t=\(1_800_000_000),\(bad),\(good)")
        try webhook.verify(payload: body, signatureHeader: "t=1800000000, v0=abc, \(good), v1=nothex")
        let rolling = StripeWebhook(secrets: ["whsec_new", Self.secret], now: clock.closure)
        try rolling.verify(payload: body, signatureHeader: sign(body))
        #expect(throws: StripeSignatureError.signatureMismatch) {
            try webhook.verify(payload: body, signatureHeader: "t=1800000000,\(bad)")
        }
    }

    @Test func malformedHeaders() {
        let body = Self.event()
        let v1 = String(sign(body).split(separator: ",")[1])
        #expect(throws: StripeSignatureError.missingHeader) { try webhook.verify(payload: body, signatureHeader: nil) }
        #expect(throws: StripeSignatureError.missingHeader) { try webhook.verify(payload: body, signatureHeader: "  ") }
        for header in ["garbage", "t=abc,\(v1)", v1, "t=,\(v1)", "t=-5,\(v1)", "t=1800000000;\(v1)"] {
            #expect(throws: StripeSignatureError.self, "\(header)") { try webhook.verify(payload: body, signatureHeader: header) }
        }
        #expect(throws: StripeSignatureError.noSignature) { try webhook.verify(payload: body, signatureHeader: "t=1800000000,v1=zz") }
        #expect(throws: StripeSignatureError.noSignature) { try webhook.verify(payload: body, signatureHeader: "t=1800000000") }
        #expect(throws: StripeSignatureError.noSecretConfigured) {
            try StripeWebhook(secret: "", now: clock.closure).verify(payload: body, signatureHeader: sign(body))
        }
    }

    @Test func checkoutCompletedCreditsOnceAndDuplicatesAreRecognised() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            let body = Self.event(id: "evt_paid", credits: "250.5")
            let outcome = try await ledger.handleStripeWebhook(payload: body, signatureHeader: sign(body), webhook: webhook)
            guard case .credited(let amount, let eventID, let entry) = outcome else {
                Issue.record("expected credited, got \(outcome)")
                return
            }
            #expect(amount == CreditAmount(parsing: "250.5"))
            #expect(eventID == "evt_paid")
            #expect(entry.externalId == "stripe:evt_paid" && entry.actor == "stripe" && entry.reference == "cs_test_1" && entry.kind == .topUp)
            #expect(outcome.httpStatus == 200)

            let again = try await ledger.handleStripeWebhook(payload: body, signatureHeader: sign(body), webhook: webhook)
            #expect(again == .duplicate(eventID: "evt_paid"))
            #expect(again.httpStatus == 200)
            #expect(try await ledger.balance() == CreditAmount(parsing: "250.5"))

            // Concurrent redeliveries still credit once.
            let outcomes = try await withThrowingTaskGroup(of: StripeWebhookOutcome.self) { group in
                let other = Self.event(id: "evt_race", credits: "10")
                let header = sign(other)
                for _ in 0..<10 {
                    group.addTask { try await ledger.handleStripeWebhook(payload: other, signatureHeader: header, webhook: self.webhook) }
                }
                return try await group.reduce(into: [StripeWebhookOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .credited = $0 { true } else { false } }.count == 1)
            #expect(outcomes.filter { $0 == .duplicate(eventID: "evt_race") }.count == 9)
            #expect(try await ledger.balance() == CreditAmount(parsing: "260.5"))
        }
    }

    @Test func otherEventsAndUnpaidSessionsAreIgnored() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            func handle(_ body: Data) async throws -> StripeWebhookOutcome {
                try await ledger.handleStripeWebhook(payload: body, signatureHeader: sign(body), webhook: webhook)
            }
            let refund = try await handle(Self.event(id: "evt_r", type: "charge.refunded"))
            #expect({ if case .ignored(eventType: "charge.refunded", _) = refund { true } else { false } }())
            #expect(refund.httpStatus == 200)
            let unpaid = try await handle(Self.event(id: "evt_u", paymentStatus: "unpaid"))
            #expect({ if case .ignored = unpaid { true } else { false } }())
            let otherProduct = try await handle(Self.event(id: "evt_o", credits: nil))
            #expect({ if case .ignored = otherProduct { true } else { false } }())
            #expect(try await ledger.balance() == .zero)

            // The delayed payment succeeds later: credited then.
            let later = try await handle(Self.event(id: "evt_async", type: "checkout.session.async_payment_succeeded", paymentStatus: "paid"))
            #expect({ if case .credited = later { true } else { false } }())
            #expect(try await ledger.balance() == CreditAmount(credits: 100))
        }
    }

    @Test func invalidSignatureAndMalformedEventsCreditNothing() async throws {
        try await withDatabase { database in
            let ledger = CreditLedger(database: database)
            let body = Self.event(id: "evt_forged", credits: "1000000")
            let forged = try await ledger.handleStripeWebhook(payload: body, signatureHeader: sign(body, secret: "whsec_attacker"), webhook: webhook)
            #expect(forged == .invalidSignature(.signatureMismatch))
            #expect(forged.httpStatus == 400)
            let missing = try await ledger.handleStripeWebhook(payload: body, signatureHeader: nil, webhook: webhook)
            #expect(missing == .invalidSignature(.missingHeader))

            for bad in [
                Data("not json".utf8), Data(#"{"type":"checkout.session.completed"}"#.utf8), Self.event(id: "evt_b", credits: "-5"),
                Self.event(id: "evt_c", credits: "lots"), Self.event(id: "evt_d", credits: "0"),
            ] {
                let outcome = try await ledger.handleStripeWebhook(payload: bad, signatureHeader: sign(bad), webhook: webhook)
                #expect({ if case .malformed = outcome { true } else { false } }(), "\(outcome)")
                #expect(outcome.httpStatus == 400)
            }
            #expect(try await ledger.balance() == .zero)
            #expect(try await ledger.recentEntries().isEmpty)
        }
    }
}
