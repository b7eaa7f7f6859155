import Foundation
public import Storage

/// How well the passages found match the question: what the relevance gate decided on, and its verdict.
public struct Relevance: Sendable, Hashable, Codable {
    /// The largest share of the question's meaningful words, among those the documents know at all, that one passage
    /// holds (0 when the documents know none of them).
    public var keywordCoverage: Double
    /// The largest share of the question's meaningful words that one passage holds, each word weighed by its rarity in
    /// the documents (BM25's inverse document frequency over chunks, so a word no document holds weighs most).
    public var weightedCoverage: Double
    /// Cosine similarity of the question to its nearest passage (`nil` without vector search).
    public var similarity: Double?
    /// Whether the assistant answers from these passages; when not, it says it does not know.
    public var isRelevant: Bool

    /// Creates a verdict.
    public init(keywordCoverage: Double, weightedCoverage: Double, similarity: Double?, isRelevant: Bool) {
        self.keywordCoverage = keywordCoverage
        self.weightedCoverage = weightedCoverage
        self.similarity = similarity
        self.isRelevant = isRelevant
    }
}

/// Decides whether the passages found are about the question at all; when they are not, the assistant says it does not
/// know instead of answering from unrelated text.
///
/// With vector search, the passages are relevant when one of the best five holds at least ``minimumWeightedCoverage``
/// of the question's meaningful words weighed by their rarity, or when the nearest passage is at least
/// ``sufficientSimilarity`` from the question, whatever the words (a paraphrase, another language). Weighing by rarity is what refuses a question about something the documents never
/// mention: in "vocês aceitam Pix?" against a university's regulations, "aceitam" is common and "pix" absent, so the
/// absent word carries most of the weight; counting only the words the documents know, as the gate did before, found
/// the question fully covered.
///
/// Without vector search, at least ``minimumCoverage`` of the question's meaningful words *that the documents know*
/// must be in one passage (words no document holds neither help nor hurt).
///
/// Greetings and the chat around a question ("oi", "queria saber", "vcs", "pfv") are not meaningful words. The
/// thresholds were calibrated by `make score-retrieval` on the dev split of its three sets, their out-of-scope
/// questions and FaQuAD's questions typed WhatsApp-style (`scripts/retrieval/score.py`, which prints the calibration
/// and the figures on the test split).
public struct RelevanceGate: Sendable, Hashable {
    /// With vector search: the rarity-weighted share of the question's words one passage must hold.
    public var minimumWeightedCoverage: Double
    /// With vector search: at or above this similarity to the nearest passage, the passages are relevant whatever
    /// words they share.
    public var sufficientSimilarity: Double
    /// Without vector search: the share of the question's known meaningful words one passage must hold.
    public var minimumCoverage: Double

    /// Creates a gate; the defaults are the calibrated ones.
    public init(
        minimumWeightedCoverage: Double = 0.55,
        sufficientSimilarity: Double = 0.865,
        minimumCoverage: Double = 0.5
    ) {
        self.minimumWeightedCoverage = minimumWeightedCoverage
        self.sufficientSimilarity = sufficientSimilarity
        self.minimumCoverage = minimumCoverage
    }

    /// How many of the best passages the coverage looks at: as many as an answer's prompt carries, so a search of 10
    /// gives the verdict an answer would get.
    public static let judgedPassages = 5

    /// The verdict for `results` found for `question`, the nearest passage being `similarity` from it (`nil`: keyword
    /// search only).
    public func judge(_ results: [SearchResult], question: String, similarity: Double?, database: AppDatabase) throws -> Relevance {
        guard !results.isEmpty else {
            return Relevance(keywordCoverage: 0, weightedCoverage: 0, similarity: similarity, isRelevant: false)
        }
        let words = Array(Set(Self.meaningfulWords(question)))
        let (chunkCount, frequencies) = try database.chunkFrequencies(of: words)
        let known = words.filter { (frequencies[$0] ?? 0) > 0 }
        guard !known.isEmpty else {
            return Relevance(keywordCoverage: 0, weightedCoverage: 0, similarity: similarity, isRelevant: decide(0, 0, similarity))
        }
        func weight(_ word: String) -> Double {
            let frequency = Double(frequencies[word] ?? 0)
            return log((Double(chunkCount) - frequency + 0.5) / (frequency + 0.5) + 1)
        }
        let present = try database.words(known, in: results.prefix(Self.judgedPassages).map(\.chunkID))
        let coverage = Double(present.values.map(\.count).max() ?? 0) / Double(known.count)
        let totalWeight = words.map(weight).reduce(0, +)
        let weightedCoverage = (present.values.map { $0.map(weight).reduce(0, +) }.max() ?? 0) / totalWeight
        return Relevance(
            keywordCoverage: coverage,
            weightedCoverage: weightedCoverage,
            similarity: similarity,
            isRelevant: decide(coverage, weightedCoverage, similarity)
        )
    }

    /// The decision on the signals: keyword coverage, rarity-weighted coverage and the nearest passage's similarity.
    public func decide(_ coverage: Double, _ weightedCoverage: Double, _ similarity: Double?) -> Bool {
        guard let similarity else { return coverage >= minimumCoverage }
        return weightedCoverage >= minimumWeightedCoverage || similarity >= sufficientSimilarity
    }

    /// The question's words that carry meaning: folded, longer than two letters, not function words, not the
    /// chat around a question ("oi", "queria saber", "por favor") and not their WhatsApp spellings ("vcs", "qnto", "pfv").
    public static func meaningfulWords(_ question: String) -> [String] {
        fold(question).split { !($0.isLetter || $0.isNumber) }.map(String.init)
            .filter { $0.count > 2 && !stopWords.contains($0) && !chatWords.contains($0) }
    }

    /// `text` without case and accents, as the gate compares words.
    public static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
    }

    static let stopWords: Set<String> = [
        "que", "qual", "quais", "como", "para", "por", "com", "uma", "uns", "umas", "dos", "das", "nos", "nas", "sao", "ser",
        "tem", "voce", "voces", "seu", "sua", "meu", "minha", "isso", "esse", "essa", "este", "esta", "onde", "quando",
        "quanto", "quanta", "mais", "sobre", "pode", "posso", "ola", "bom", "boa", "dia", "tarde", "noite", "obrigado",
        "the", "what", "which", "how", "for", "with", "are", "you", "your", "can", "does", "about", "and", "there",
    ]

    /// Greetings, courtesy and the words around a question in a chat message, in full and as typed on WhatsApp: a
    /// business's documents rarely hold them, and a question is no less answerable for them.
    static let chatWords: Set<String> = [
        "oii", "oie", "opa", "ola", "alo", "queria", "quero", "gostaria", "saber", "preciso", "precisava", "duvida",
        "favor", "pfv", "pfvr", "obrigada", "obg", "brigado", "valeu", "vlw", "beleza", "blz", "tudo", "bem", "vcs", "voc",
        "qnto", "qnta", "qntos", "qntas", "qto", "qta", "tbm", "pra", "pras", "porfavor", "please", "thanks",
        "thank", "hello", "hey", "would", "like", "know", "could", "need", "want",
    ]
}
