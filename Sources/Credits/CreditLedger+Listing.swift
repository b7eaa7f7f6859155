public import Foundation
import GRDB

/// Which ledger entries a listing or an export shows.
public struct CreditEntryFilter: Sendable, Hashable {
    /// Only entries of this kind.
    public var kind: CreditEntry.Kind?
    /// Only entries recorded at or after this instant.
    public var from: Date?
    /// Only entries recorded before this instant.
    public var before: Date?

    /// A filter; `nil` fields filter nothing.
    public init(kind: CreditEntry.Kind? = nil, from: Date? = nil, before: Date? = nil) {
        self.kind = kind
        self.from = from
        self.before = before
    }

    var request: QueryInterfaceRequest<CreditEntry> {
        var request = CreditEntry.all()
        if let kind { request = request.filter(Column("kind") == kind.rawValue) }
        if let from { request = request.filter(Column("createdAt") >= from) }
        if let before { request = request.filter(Column("createdAt") < before) }
        return request
    }
}

/// One ledger entry as an export reads it: the stored values, without decoding the record or its date.
public struct CreditExportRow: Sendable {
    /// Entry id.
    public var id: Int64
    /// The stored timestamp (`YYYY-MM-DD HH:MM:SS.SSS`, UTC).
    public var storedCreatedAt: String
    /// ``CreditEntry/Kind`` raw value.
    public var kind: String
    /// Signed amount.
    public var amount: CreditAmount
    /// Why.
    public var reason: String
    /// Who.
    public var actor: String
    /// What it refers to, `""` for nothing.
    public var reference: String
}

extension CreditLedger {
    /// A page of the entries `filter` shows, newest first, below the entry id `olderThan` when given, with the status,
    /// read together.
    public func page(_ filter: CreditEntryFilter, olderThan: Int64?, limit: Int) async throws -> (entries: [CreditEntry], status: CreditStatus) {
        let now = clock()
        return try writer.readNow { db in
            var request = filter.request
            if let olderThan { request = request.filter(Column("id") < olderThan) }
            let entries = try request.order(Column("id").desc).limit(max(0, limit)).fetchAll(db)
            return (entries, try status(db, now: now))
        }
    }

    /// Every entry `filter` shows, newest first, handed to `row` one at a time as stored (a whole-ledger export reads
    /// no record and decodes no date).
    public func export(_ filter: CreditEntryFilter, _ row: (CreditExportRow) throws -> Void) async throws {
        try writer.readNow { db in
            let rows = try filter.request
                .select(Column("id"), Column("createdAt"), Column("kind"), Column("amount"), Column("reason"), Column("actor"), Column("reference"))
                .order(Column("id").desc)
                .asRequest(of: Row.self)
                .fetchCursor(db)
            while let stored = try rows.next() {
                let micros: Int64 = stored[3]
                try row(
                    CreditExportRow(
                        id: stored[0],
                        storedCreatedAt: stored[1],
                        kind: stored[2],
                        amount: CreditAmount(micros: micros),
                        reason: stored[4],
                        actor: stored[5],
                        reference: stored[6] ?? ""
                    )
                )
            }
        }
    }

    /// The low-balance threshold in effect (see ``lowBalanceThreshold(_:)``).
    public func lowBalanceThreshold() async throws -> CreditAmount? {
        try writer.readNow { db in try lowBalanceThreshold(db) }
    }
}
