import Credits
import Foundation

/// `GET /credits` and `POST /credits/topups`.
extension BalcaoAPI {
    func getCredits(_ input: Operations.GetCredits.Input) async throws -> Operations.GetCredits.Output {
        let status = try await ledger.status()
        let entries = try await ledger.recentEntries(limit: 50)
        let credits = Operations.GetCredits.Output.Ok.Body.JsonPayload(
            balance: status.balance.formatted,
            reserved: status.reserved.formatted,
            lowBalanceThreshold: status.lowBalanceThreshold?.formatted,
            isLow: status.isLow,
            ledger: entries.map(Components.Schemas.CreditEntry.init)
        )
        return .ok(.init(body: .json(credits)))
    }

    func topUpCredits(_ input: Operations.TopUpCredits.Input) async throws -> Operations.TopUpCredits.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("The body must be {\"amount\": 100, \"reason\": \"…\"}.") }
        // One micro-credit to a billion credits (the OpenAPI document's minimum and maximum): a smaller amount rounds to
        // nothing, and the ledger's balance must stay far from what its integer sum can hold.
        guard body.amount >= 0.000_001, body.amount <= 1_000_000_000 else {
            throw APIError.badRequest("amount must be between 0.000001 and 1000000000 credits.")
        }
        let reason = body.reason.trimmingAPIWhitespace
        guard !reason.isEmpty else { throw APIError.badRequest("A top-up needs a reason.") }
        let result: TopUpResult
        do {
            result = try await ledger.topUp(amount: CreditAmount(credits: body.amount), reason: reason, actor: "api", externalID: body.externalId)
        } catch let error as CreditError {
            throw APIError.badRequest(error.description)
        }
        logger.notice("credits topped up", metadata: ["amount": "\(result.entry.amount)", "actor": "api", "new": "\(result.isNew)"])
        let entry = Components.Schemas.CreditEntry(result.entry)
        return result.isNew ? .created(.init(body: .json(entry))) : .ok(.init(body: .json(entry)))
    }
}

extension Components.Schemas.CreditEntry {
    /// One ledger entry as the API shows it.
    init(_ entry: CreditEntry) {
        self.init(
            id: entry.id ?? 0,
            kind: entry.kind.rawValue,
            amount: entry.amount.formatted,
            reason: entry.reason,
            actor: entry.actor,
            externalId: entry.externalId,
            reference: entry.reference,
            createdAt: entry.createdAt
        )
    }
}
