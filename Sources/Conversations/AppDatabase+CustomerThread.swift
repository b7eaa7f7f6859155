public import Foundation
import GRDB
public import Storage

/// One message of a conversation as its customer sees it (on a channel that draws the conversation itself, the
/// website's widget).
public struct CustomerThreadMessage: Sendable, Hashable {
    public var id: Int64
    /// `customer`, `assistant` or `operator`.
    public var author: String
    public var text: String
    public var createdAt: Date
    /// The documents an assistant answer came from, once per answer (empty unless asked for).
    public var sources: [CustomerThreadSource]
    /// The buttons under it.
    public var buttons: [ReplyButton]
}

/// A document an answer came from.
public struct CustomerThreadSource: Sendable, Hashable {
    public var documentID: Int64
    /// Its file name.
    public var title: String
}

/// A conversation as its customer sees it: its messages after a cursor, and whether an answer is being written.
public struct CustomerThread: Sendable {
    public var messages: [CustomerThreadMessage]
    public var typing: Bool
    /// The customer waits for a person whom no one has answered yet (handed off, and no operator wrote since).
    public var waitsUnanswered = false
    /// They already left a way to be answered.
    public var hasContact = false
}

extension AppDatabase {
    /// The messages of the conversation of `customerID` on business account `accountID` after message `afterID` (at
    /// most 200; system notes left out), with the documents each assistant answer came from when `withSources`; empty
    /// before the customer's first message.
    public func customerThread(accountID: String, customerID: String, afterID: Int64, withSources: Bool) throws -> CustomerThread {
        let (messages, typing, answers, conversation, operatorSinceHandoff) = try reader.read {
            db -> ([ConversationMessage], Bool, [Int64: AnswerRecord], Conversation?, Bool) in
            guard
                let conversation = try Conversation.filter(Column("phoneNumberID") == accountID)
                    .filter(Column("customerID") == customerID).fetchOne(db)
            else { return ([], false, [:], nil, false) }
            // An operator wrote after the conversation's last hand-off (or take-over).
            let operatorWrote =
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT 1 FROM message WHERE conversationId = ?1 AND author = 'operator'
                        AND id > COALESCE((SELECT MAX(m.id) FROM message m JOIN answer a ON a.turnId = m.turnId
                                           WHERE m.conversationId = ?1 AND a.outcome = 'handoff'), 0) LIMIT 1
                        """,
                    arguments: [conversation.id!]
                ) ?? false
            let messages = try ConversationMessage.filter(Column("conversationId") == conversation.id!)
                .filter(Column("id") > afterID)
                .filter(["customer", "assistant", "operator"].contains(Column("author")))
                .order(Column("id")).limit(200).fetchAll(db)
            // An answer is on its way while the assistant has a turn of this conversation to answer.
            let answering =
                try Bool.fetchOne(
                    db,
                    sql: "SELECT 1 FROM turn WHERE conversationId = ? AND state IN ('collecting', 'processing') LIMIT 1",
                    arguments: [conversation.id!]
                ) ?? false
            let typing = conversation.mode == .assistant && answering
            var answers: [Int64: AnswerRecord] = [:]
            if withSources {
                let turns = messages.filter { $0.author == "assistant" }.compactMap(\.turnId)
                if !turns.isEmpty {
                    for answer in try AnswerRecord.filter(turns.contains(Column("turnId"))).fetchAll(db) {
                        if let turn = answer.turnId { answers[turn] = answer }
                    }
                }
            }
            return (messages, typing, answers, conversation, operatorWrote)
        }
        let passages = try passageSources(chunkIDs: answers.values.flatMap { $0.citedSources.map(\.chunkID) })
        var sourcesShown = Set<Int64>()
        let drawn = messages.map { message -> CustomerThreadMessage in
            var sources: [CustomerThreadSource] = []
            // A reply split into several messages shows its sources once, under its first part.
            if let turn = message.turnId, message.author == "assistant", let answer = answers[turn], sourcesShown.insert(turn).inserted {
                for source in answer.citedSources {
                    guard let passage = passages[source.chunkID], !sources.contains(where: { $0.documentID == passage.documentID }) else { continue }
                    sources.append(CustomerThreadSource(documentID: passage.documentID, title: passage.filename))
                }
            }
            return CustomerThreadMessage(
                id: message.id ?? 0,
                author: message.author,
                text: message.text,
                createdAt: message.createdAt,
                sources: sources,
                buttons: message.replyButtons
            )
        }
        return CustomerThread(
            messages: drawn,
            typing: typing,
            waitsUnanswered: conversation?.mode == .human && !operatorSinceHandoff,
            hasContact: conversation?.contact != nil
        )
    }
}

extension AppDatabase {
    /// Keeps the name and e-mail or phone the customer of `customerID` on `accountID` left (the name also names the
    /// conversation when nothing did); returns `false` when they have no conversation there yet.
    public func saveContact(_ contact: CustomerContact, accountID: String, customerID: String) async throws -> Bool {
        let json = String(decoding: try JSONEncoder().encode(contact), as: UTF8.self)
        return try await writer.write { db in
            try db.execute(
                sql: """
                    UPDATE conversation SET contact = ?, customerName = COALESCE(NULLIF(customerName, ''), ?), updatedAt = ?
                    WHERE phoneNumberID = ? AND customerID = ?
                    """,
                arguments: [json, contact.name, contact.at, accountID, customerID]
            )
            return db.changesCount > 0
        }
    }
}
