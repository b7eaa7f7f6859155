import Foundation
import GRDB
import Testing

@testable import Storage

@Suite("Portuguese-aware keyword search")
struct PortugueseSearchTests {
    @Test("the Swift stemmer gives NLTK's Snowball stem for every word of FaQuAD")
    func stemmerMatchesReference() {
        var checked = 0
        var mismatches: [String] = []
        for line in snowballPortugueseReference.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else { continue }
            let word = String(fields[0]).precomposedStringWithCanonicalMapping
            let expected = String(fields[1]).precomposedStringWithCanonicalMapping
            let stem = PortugueseStemmer.stem(word)
            if stem != expected { mismatches.append("\(word): \(stem) ≠ \(expected)") }
            checked += 1
        }
        #expect(checked > 4000)
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(20))")
    }

    @Test(
        "stems of common customer-service words",
        arguments: [
            ("devolução", "devolu"), ("devoluções", "devolu"), ("informação", "inform"), ("informações", "inform"),
            ("trocar", "troc"), ("troca", "troc"), ("trocas", "troc"), ("não", "nã"), ("felizmente", "feliz"),
            ("atividade", "ativ"), ("", ""), ("a", "a"),
        ]
    )
    func stems(_ word: String, _ stem: String) {
        #expect(PortugueseStemmer.stem(word) == stem)
    }

    @Test("folding removes accents and keeps everything else")
    func folding() {
        #expect(PortugueseStemmer.fold("informação Açúcar ü ñ") == "informacao Acucar u n")
        #expect(PortugueseStemmer.fold("plain ascii 123") == "plain ascii 123")
    }

    @Test("documents get the unaccented spelling's stem as a synonym only when it differs")
    func synonyms() {
        #expect(StemmingTokenizer.terms(of: "experiência", forDocument: true) == ("experient", "experienc"))
        #expect(StemmingTokenizer.terms(of: "experiência", forDocument: false) == ("experient", nil))
        // With its tilde restored, the unaccented spelling stems like the accented one: no synonym needed.
        #expect(StemmingTokenizer.terms(of: "informação", forDocument: true) == ("inform", nil))
        #expect(StemmingTokenizer.terms(of: "informacao", forDocument: false) == ("inform", nil))
        #expect(StemmingTokenizer.terms(of: "trocas", forDocument: true) == ("troc", nil))
        #expect(StemmingTokenizer.terms(of: "é", forDocument: true) == ("e", nil))
    }

    @Test(
        "nasal endings typed without their tilde are restored",
        arguments: [
            ("devolucao", "devolução"), ("devolucoes", "devoluções"), ("nao", "não"), ("maes", "mães"), ("botoes", "botões"),
            ("ao", "ao"), ("casa", "casa"), ("refund", "refund"),
        ]
    )
    func nasalEndings(_ typed: String, _ restored: String) {
        #expect(StemmingTokenizer.restoringNasalEnding(typed) == restored)
    }

    private func database(with texts: [String]) async throws -> (AppDatabase, [Int64]) {
        let database = try AppDatabase.inMemory()
        let doc = try await database.registerUpload(filename: "a.txt", sha256: "1", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
        let stored = try await database.replaceChunks(
            documentID: doc.document.id!,
            with: texts.map { NewChunk(text: $0, section: "", pageStart: nil, pageEnd: nil, tokenCount: 1) }
        ).stored
        return (database, stored.map { $0.id! })
    }

    @Test(
        "inflected and unaccented questions find the passage",
        arguments: [
            ("devoluções", "Política de devolução de produtos."),
            ("devolução", "Aceitamos devoluções em até 7 dias."),
            ("informacao", "Mais informação no site."),
            ("informacoes", "Mais informação no site."),
            ("devolucoes", "Política de devolução de produtos."),
            ("devolucao", "Aceitamos devolucoes em até 7 dias."),
            ("experiencia", "Experiência de compra."),
            ("INFORMAÇÕES", "Mais informação no site."),
            ("trocar", "Trocas só com nota fiscal."),
            ("trocar", "A troca é gratuita."),
            ("Como faço para trocar um produto?", "A troca é gratuita."),
            ("nao", "Não aceitamos cheques."),
        ]
    )
    func inflectedQuestions(_ question: String, _ passage: String) async throws {
        let (database, _) = try await database(with: [passage, "Horário de atendimento: segunda a sexta.", "Entrega em todo o Brasil."])
        let hits = try database.searchChunks(question, limit: 5)
        #expect(hits.map(\.text) == [passage])
    }

    /// The Portuguese rules leave English plurals in -s alone ("refund" does not find "refunds", as before stemming).
    @Test("English text keeps working")
    func english() async throws {
        let (database, _) = try await database(with: [
            "Refunds are processed within five business days.", "Our store opens at nine.", "Shipping is free over $50.",
        ])
        #expect(try database.searchChunks("refunds", limit: 5).map(\.text) == ["Refunds are processed within five business days."])
        #expect(try database.searchChunks("When does the store open?", limit: 5).first?.text == "Our store opens at nine.")
        #expect(try database.searchChunks("shipping", limit: 5).map(\.text) == ["Shipping is free over $50."])
    }

    @Test("stop words are left out of questions, with or without accents")
    func stopWords() throws {
        #expect(KeywordQuery.ftsPattern(for: "Você tem devolução?") == #""devolução""#)
        #expect(KeywordQuery.ftsPattern(for: "voce tem devolucao") == #""devolucao""#)
        // A question made only of stop words still searches with them.
        #expect(KeywordQuery.ftsPattern(for: "o que é") == #""o" OR "que" OR "é""#)
        // The chat around a question, as typed on WhatsApp, is not searched for.
        #expect(KeywordQuery.ftsPattern(for: "oi! queria saber qnto é o frete pra Osasco pfv, vlw") == #""frete" OR "osasco""#)
        #expect(KeywordQuery.ftsPattern(for: "olá vcs tb fazem troca?") == #""fazem" OR "troca""#)
    }

    @Test(
        "FTS syntax in a question is still treated as words",
        arguments: [
            "\"", "a* OR", "NEAR(x y)", "-devolução", "^x:y", "'; DROP TABLE chunk; --", "", "   ", "devoluções\"*", "trocar)OR(",
            "informação:*", "\u{0}", "ção ção ção",
        ]
    )
    func hostileQueries(_ question: String) async throws {
        let (database, ids) = try await database(with: ["devolução e troca"])
        _ = try database.searchChunks(question, limit: 5)
        #expect(try database.chunks(ids: ids).count == 1)
    }

    @Test("the v3 migration re-indexes chunks stored before stemming")
    func migrationReindexes() async throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in db.add(tokenizer: StemmingTokenizer.self) }
        let queue = try DatabaseQueue(configuration: configuration)
        let migrator = AppDatabase.migrator
        let before = try #require(migrator.migrations.firstIndex(of: "v3: Portuguese stemming in the keyword index"))
        try migrator.migrate(queue, upTo: migrator.migrations[before - 1])
        try await queue.write { db in
            try db.execute(
                sql: """
                    INSERT INTO document (filename, sha256, bytes, status, createdAt, updatedAt)
                    VALUES ('a.txt', 'x', 1, 'ready', '2026-01-01', '2026-01-01');
                    INSERT INTO chunk (documentId, ordinal, text, section, tokenCount) VALUES (1, 0, 'Trocas e devoluções', '', 3);
                    """
            )
            // The old index does not stem.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM chunkFTS WHERE chunkFTS MATCH '\"trocar\"'") == 0)
        }
        let database = try AppDatabase(queue)
        #expect(try database.searchChunks("trocar devolução", limit: 5).map(\.chunkID) == [1])
        // Later writes go through the new triggers.
        _ = try await database.replaceChunks(
            documentID: 1,
            with: [NewChunk(text: "Garantia estendida", section: "", pageStart: nil, pageEnd: nil, tokenCount: 2)]
        )
        #expect(try database.searchChunks("trocas", limit: 5).isEmpty)
        #expect(try database.searchChunks("garantias", limit: 5).count == 1)
    }

    @Test("a database file reopened keeps the stemming tokenizer on every connection")
    func fileDatabase() async throws {
        let directory = try TemporaryDirectory()
        let url = directory.url.appendingPathComponent("balcao.sqlite")
        do {
            let database = try AppDatabase.open(at: url)
            let doc = try await database.registerUpload(filename: "a.txt", sha256: "1", bytes: 1, format: "text", sealedPassword: nil, agentName: nil)
            _ = try await database.replaceChunks(
                documentID: doc.document.id!,
                with: [NewChunk(text: "Prazo de devolução", section: "", pageStart: nil, pageEnd: nil, tokenCount: 3)]
            )
        }
        let reopened = try AppDatabase.open(at: url)
        #expect(try reopened.searchChunks("devoluções", limit: 5).count == 1)
    }
}
