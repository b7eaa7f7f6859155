import Foundation

/// The Snowball stemmer for Portuguese, as implemented by NLTK's `SnowballStemmer("portuguese")`.
///
/// The retrieval reference (`shared/retrieval/eval.py`) stems lower-cased words *with* their accents and strips the
/// accents afterwards; this is a faithful port of that implementation, including its details (the `-ução`/`-uções`
/// rule, and step 1 stopping at the first suffix the word ends with even when it lies outside its region), so the keyword
/// index reproduces the reference's BM25 figures. Input is expected lower-cased and precomposed (NFC); the output keeps
/// accents (see ``PortugueseStemmer/fold(_:)``).
public enum PortugueseStemmer {
    /// The stem of one lower-cased word (accents kept).
    public static func stem(_ word: String) -> String {
        var w = Array(word.unicodeScalars)
        guard w.count > 1 else { return word }
        // Prelude: nasal vowels become a two-character form, so `~` acts as a consonant.
        var prepared: [Unicode.Scalar] = []
        prepared.reserveCapacity(w.count + 2)
        var index = 0
        while index < w.count {
            let c = w[index]
            switch c {
            case "ã":
                prepared.append("a")
                prepared.append("~")
            case "õ":
                prepared.append("o")
                prepared.append("~")
            case "ü" where index > 0 && (w[index - 1] == "q" || w[index - 1] == "g"): prepared.append("u")
            default: prepared.append(c)
            }
            index += 1
        }
        w = prepared
        let (r1, r2) = regions(w)
        let rv = rvRegion(w)
        var step1 = false
        var step2 = false

        func ends(_ s: [Unicode.Scalar], region: Int) -> Bool {
            w.count - s.count >= region && hasSuffix(w, s)
        }

        // Step 1: standard suffixes (the first suffix the word ends with decides, as in NLTK).
        for suffix in step1Suffixes where hasSuffix(w, suffix) {
            if suffix == amente && w.count - 6 >= r1 {
                step1 = true
                w.removeLast(6)
                if ends(iv, region: r2) {
                    w.removeLast(2)
                    if ends(at, region: r2) { w.removeLast(2) }
                } else if ends(os, region: r2) || ends(ic, region: r2) || ends(ad, region: r2) {
                    w.removeLast(2)
                }
            } else if (suffix == ira || suffix == iras) && w.count - suffix.count >= rv
                && w.count > suffix.count && w[w.count - suffix.count - 1] == "e"
            {
                step1 = true
                w.removeLast(suffix.count)
                w.append(contentsOf: ir)
            } else if w.count - suffix.count >= r2 {
                step1 = true
                w.removeLast(suffix.count)
                if suffix == logia || suffix == logias {
                    w.append(contentsOf: log)
                } else if suffix == ucao || suffix == ucoes {
                    w.append("u")
                } else if suffix == encia || suffix == encias {
                    w.append(contentsOf: ente)
                } else if suffix == mente {
                    if ends(ante, region: r2) || ends(avel, region: r2) || ends(ivel, region: r2) { w.removeLast(4) }
                } else if suffix == idade || suffix == idades {
                    if ends(ic, region: r2) || ends(iv, region: r2) {
                        w.removeLast(2)
                    } else if ends(abil, region: r2) {
                        w.removeLast(4)
                    }
                } else if suffix == iva || suffix == ivo || suffix == ivas || suffix == ivos {
                    if ends(at, region: r2) { w.removeLast(2) }
                }
            }
            break
        }
        // (NLTK keeps R2 and RV as suffix strings it shortens with the word; as start indices they need no update.)

        // Step 2: verb suffixes, when step 1 removed nothing.
        if !step1 {
            for suffix in step2Suffixes where ends(suffix, region: rv) {
                step2 = true
                w.removeLast(suffix.count)
                break
            }
        }
        // Step 3.
        if step1 || step2 {
            if ends(["i"], region: rv) && w.count >= 2 && w[w.count - 2] == "c" { w.removeLast() }
        } else {
            // Step 4: residual suffixes.
            for suffix in step4Suffixes where ends(suffix, region: rv) {
                w.removeLast(suffix.count)
                break
            }
        }
        // Step 5.
        if ends(["e"], region: rv) || ends(["é"], region: rv) || ends(["ê"], region: rv) {
            w.removeLast()
            if (hasSuffix(w, gu) && ends(["u"], region: rv)) || (hasSuffix(w, ci) && ends(["i"], region: rv)) {
                w.removeLast()
            }
        } else if w.last == "ç" {
            w[w.count - 1] = "c"
        }
        // Postlude.
        var out = String.UnicodeScalarView()
        var i = 0
        while i < w.count {
            if i + 1 < w.count && w[i + 1] == "~" && (w[i] == "a" || w[i] == "o") {
                out.append(w[i] == "a" ? "ã" : "õ")
                i += 2
            } else {
                out.append(w[i])
                i += 1
            }
        }
        return String(out)
    }

    /// `text` without diacritics (compatibility decomposition, combining marks dropped): "Informação" → "Informacao".
    public static func fold(_ text: String) -> String {
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.decomposedStringWithCompatibilityMapping.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    // MARK: - Regions (standard Snowball definitions, as NLTK computes them)

    private static let vowels: Set<Unicode.Scalar> = ["a", "e", "i", "o", "u", "á", "é", "í", "ó", "ú", "â", "ê", "ô"]

    /// Start indices of R1 and R2 (the word's length when a region is empty).
    private static func regions(_ w: [Unicode.Scalar]) -> (Int, Int) {
        var r1 = w.count
        if w.count > 1 {
            for i in 1..<w.count where !vowels.contains(w[i]) && vowels.contains(w[i - 1]) {
                r1 = i + 1
                break
            }
        }
        var r2 = w.count
        if r1 + 1 < w.count {
            for i in (r1 + 1)..<w.count where !vowels.contains(w[i]) && vowels.contains(w[i - 1]) {
                r2 = i + 1
                break
            }
        }
        return (r1, r2)
    }

    /// Start index of RV.
    private static func rvRegion(_ w: [Unicode.Scalar]) -> Int {
        guard w.count >= 2 else { return w.count }
        if !vowels.contains(w[1]) {
            for i in 2..<max(2, w.count) where vowels.contains(w[i]) { return i + 1 }
            return w.count
        }
        if vowels.contains(w[0]) && vowels.contains(w[1]) {
            for i in 2..<max(2, w.count) where !vowels.contains(w[i]) { return i + 1 }
            return w.count
        }
        return min(3, w.count)
    }

    private static func hasSuffix(_ w: [Unicode.Scalar], _ s: [Unicode.Scalar]) -> Bool {
        guard s.count <= w.count else { return false }
        return w[(w.count - s.count)...].elementsEqual(s)
    }

    // MARK: - Suffix lists (NLTK's, in its order: longest first within each step)

    private static func s(_ text: String) -> [Unicode.Scalar] { Array(text.unicodeScalars) }

    private static let amente = s("amente"), mente = s("mente"), ira = s("ira"), iras = s("iras"), ir = s("ir")
    private static let logia = s("logia"), logias = s("logias"), log = s("log")
    private static let ucao = s("uça~o"), ucoes = s("uço~es"), encia = s("ência"), encias = s("ências"), ente = s("ente")
    private static let idade = s("idade"), idades = s("idades")
    private static let iva = s("iva"), ivo = s("ivo"), ivas = s("ivas"), ivos = s("ivos")
    private static let iv = s("iv"), at = s("at"), os = s("os"), ic = s("ic"), ad = s("ad"), abil = s("abil")
    private static let ante = s("ante"), avel = s("avel"), ivel = s("ivel"), gu = s("gu"), ci = s("ci")

    private static let step1Suffixes: [[Unicode.Scalar]] = [
        "amentos", "imentos", "uço~es", "amento", "imento", "adoras", "adores", "aço~es", "logias", "ências", "amente",
        "idades", "anças", "ismos", "istas", "adora", "aça~o", "antes", "ância", "logia", "uça~o", "ência", "mente",
        "idade", "ança", "ezas", "icos", "icas", "ismo", "ável", "ível", "ista", "osos", "osas", "ador", "ante", "ivas",
        "ivos", "iras", "eza", "ico", "ica", "oso", "osa", "iva", "ivo", "ira",
    ].map(s)

    private static let step2Suffixes: [[Unicode.Scalar]] = [
        "aríamos", "eríamos", "iríamos", "ássemos", "êssemos", "íssemos", "aríeis", "eríeis", "iríeis", "ásseis",
        "ésseis", "ísseis", "áramos", "éramos", "íramos", "ávamos", "aremos", "eremos", "iremos", "ariam", "eriam",
        "iriam", "assem", "essem", "issem", "ara~o", "era~o", "ira~o", "arias", "erias", "irias", "ardes", "erdes",
        "irdes", "asses", "esses", "isses", "astes", "estes", "istes", "áreis", "areis", "éreis", "ereis", "íreis",
        "ireis", "áveis", "íamos", "armos", "ermos", "irmos", "aria", "eria", "iria", "asse", "esse", "isse", "aste",
        "este", "iste", "arei", "erei", "irei", "aram", "eram", "iram", "avam", "arem", "erem", "irem", "ando", "endo",
        "indo", "adas", "idas", "arás", "aras", "erás", "eras", "irás", "avas", "ares", "eres", "ires", "íeis", "ados",
        "idos", "ámos", "amos", "emos", "imos", "iras", "ada", "ida", "ará", "ara", "erá", "era", "irá", "ava", "iam",
        "ado", "ido", "ias", "ais", "eis", "ira", "ia", "ei", "am", "em", "ar", "er", "ir", "as", "es", "is", "eu", "iu",
        "ou",
    ].map(s)

    private static let step4Suffixes: [[Unicode.Scalar]] = ["os", "a", "i", "o", "á", "í", "ó"].map(s)
}
