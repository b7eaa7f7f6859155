import Conversations
import Credits
import Ingestion
import Logging
import Retrieval
import Storage

/// The JSON API's operations, as `openapi.json` declares them (`APIProtocol` is generated from it).
///
/// Each operation validates what the document's constraints say (lengths, ranges, patterns: the generated decoding
/// checks only types) and throws an ``APIError`` for what it refuses. `POST /documents` is routed by hand
/// (``DocumentUploadRoute``) and answers with the same generated `Document`.
struct BalcaoAPI: APIProtocol {
    /// Where documents, agents and conversations are read.
    let database: AppDatabase
    /// Deletions of documents.
    let library: DocumentLibrary
    /// `GET /search`.
    let search: SearchService
    /// Hand-off and operator replies.
    let conversations: ConversationsService
    /// The balance, its entries and top-ups.
    let ledger: CreditLedger
    /// Where top-ups are logged.
    let logger: Logger

    /// Customers' data rights, over the daemon's media store.
    var customerData: CustomerData {
        conversations.customerData(mediaIn: library.originals.directory)
    }
}
