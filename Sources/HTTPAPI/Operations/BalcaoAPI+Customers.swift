import Conversations
import Foundation
import OpenAPIRuntime
import Storage

/// `/customers/{customer_id}`: a customer's rights under the LGPD — everything held about them as a file, and its
/// erasure (audited as `customer.erase` by `api`).
extension BalcaoAPI {
    func exportCustomer(_ input: Operations.ExportCustomer.Input) async throws -> Operations.ExportCustomer.Output {
        let customer = try Self.customerID(input.path.customerId)
        let file = customerData.mediaStore.directory.temporary.appendingPathComponent("export-\(UUID().uuidString).zip")
        try FileManager.default.createDirectory(at: customerData.mediaStore.directory.temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: file) }
        guard try customerData.export(customer, to: file, now: Date()) != nil else { throw Self.noSuchCustomer }
        return .ok(.init(body: .applicationZip(HTTPBody(try Data(contentsOf: file)))))
    }

    func eraseCustomer(_ input: Operations.EraseCustomer.Input) async throws -> Operations.EraseCustomer.Output {
        let customer = try Self.customerID(input.path.customerId)
        guard let erased = try await customerData.erase(customer, actor: "api", now: Date()) else { throw Self.noSuchCustomer }
        logger.notice("customer erased at the API's request", metadata: ["conversations": "\(erased.conversations)"])
        return .ok(
            .init(
                body: .json(
                    .init(
                        conversations: erased.conversations,
                        messages: erased.messages,
                        answers: erased.answers,
                        files: erased.files,
                        deliveries: erased.deliveries,
                        auditEntries: erased.auditEntries
                    )
                )
            )
        )
    }

    private static var noSuchCustomer: APIError { .notFound("Nothing is held about this customer.") }

    /// The document's pattern for a customer id (the generated decoding does not check patterns).
    static func customerID(_ text: String) throws -> String {
        guard (1...64).contains(text.count),
            text.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._:-".unicodeScalars.contains($0)) })
        else { throw APIError.badRequest("A customer id is 1 to 64 letters, digits, '.', '_', ':' or '-'.") }
        return text
    }
}
