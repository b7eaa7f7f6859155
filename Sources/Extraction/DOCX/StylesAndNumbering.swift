import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

// MARK: - Styles and numbering

struct StyleSheet {
    struct Style {
        var name: String = ""
        var basedOn: String?
        var outlineLevel: Int?
        var numId: String?
        var numLevel: Int?
    }

    var styles: [String: Style] = [:]

    /// Heading level (1-based) of a paragraph style, following `basedOn`.
    func headingLevel(_ id: String?) -> Int? {
        var current = id
        var hops = 0
        while let cid = current, let style = styles[cid], hops < 20 {
            if let level = style.outlineLevel, level < 9 { return level + 1 }
            let name = style.name.lowercased()
            if name.hasPrefix("heading "), let n = Int(name.dropFirst(8)) { return n }
            if name == "title" { return 1 }
            current = style.basedOn
            hops += 1
        }
        return nil
    }

    func numbering(_ id: String?) -> (String, Int)? {
        var current = id
        var hops = 0
        while let cid = current, let style = styles[cid], hops < 20 {
            if let numId = style.numId { return (numId, style.numLevel ?? 0) }
            current = style.basedOn
            hops += 1
        }
        return nil
    }
}

struct NumberingDefinitions {
    struct Level {
        var start = 1
        var format = "decimal"
        var text = "%1."
    }

    var abstract: [String: [Int: Level]] = [:]
    var numToAbstract: [String: String] = [:]
    var startOverrides: [String: [Int: Int]] = [:]
}

/// Tracks list counters and renders labels such as "1.", "a)", "2.1".
struct ListCounters {
    let numbering: NumberingDefinitions
    private var counters: [String: [Int: Int]] = [:]
    private var seenNums: Set<String> = []

    init(numbering: NumberingDefinitions) { self.numbering = numbering }

    mutating func label(numId: String, level: Int) -> String? {
        guard numId != "0", let abstractId = numbering.numToAbstract[numId], let levels = numbering.abstract[abstractId] else {
            return nil
        }
        var counts = counters[abstractId] ?? [:]
        if seenNums.insert(numId).inserted, let overrides = numbering.startOverrides[numId] {
            for (l, s) in overrides { counts[l] = s - 1 }
            for l in counts.keys where overrides[l] == nil && l > (overrides.keys.min() ?? 0) { counts[l] = nil }
        }
        let def = levels[level] ?? NumberingDefinitions.Level()
        counts[level] = (counts[level] ?? (def.start - 1)) + 1
        for deeper in counts.keys where deeper > level { counts[deeper] = nil }
        counters[abstractId] = counts
        if def.format == "bullet" { return "•" }
        if def.format == "none" { return "" }
        var text = def.text
        for l in 0...8 {
            let token = "%\(l + 1)"
            guard text.contains(token) else { continue }
            let ldef = levels[l] ?? NumberingDefinitions.Level()
            let value = counts[l] ?? ldef.start
            text = text.replacingOccurrences(of: token, with: Self.format(value, ldef.format))
        }
        return text
    }

    static func format(_ n: Int, _ format: String) -> String {
        switch format {
        case "lowerLetter": return letters(n).lowercased()
        case "upperLetter": return letters(n)
        case "lowerRoman": return roman(n).lowercased()
        case "upperRoman": return roman(n)
        case "decimalZero": return n < 10 ? "0\(n)" : "\(n)"
        default: return "\(n)"
        }
    }

    static func letters(_ n: Int) -> String {
        guard n > 0 else { return "" }
        let letter = Character(Unicode.Scalar(UInt8(65 + (n - 1) % 26)))
        return String(repeating: letter, count: (n - 1) / 26 + 1)
    }

    static func roman(_ n: Int) -> String {
        guard n > 0 && n < 4000 else { return "\(n)" }
        let table: [(Int, String)] = [
            (1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
            (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"),
        ]
        var n = n
        var out = ""
        for (v, s) in table {
            while n >= v {
                out += s
                n -= v
            }
        }
        return out
    }
}

/// Attribute lookup that ignores the namespace prefix (`w:val`, `val`).
func wordAttribute(_ attributes: [String: String], _ name: String) -> String? {
    if let v = attributes["w:" + name] { return v }
    if let v = attributes[name] { return v }
    for (k, v) in attributes where k.hasSuffix(":" + name) { return v }
    return nil
}

private func localName(_ qName: String) -> Substring {
    if let i = qName.firstIndex(of: ":") { return qName[qName.index(after: i)...] }
    return qName[...]
}

final class StylesParser: NSObject, XMLParserDelegate {
    var sheet = StyleSheet()
    private var currentId: String?
    private var current = StyleSheet.Style()
    private var inPPr = false

    static func parse(_ data: Data) -> StyleSheet? {
        let delegate = StylesParser()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        parser.shouldResolveExternalEntities = false
        return parser.parse() ? delegate.sheet : nil
    }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        switch elementName {
        case "w:style":
            currentId = wordAttribute(attributeDict, "styleId")
            current = StyleSheet.Style()
        case "w:name": if currentId != nil { current.name = wordAttribute(attributeDict, "val") ?? "" }
        case "w:basedOn": if currentId != nil { current.basedOn = wordAttribute(attributeDict, "val") }
        case "w:outlineLvl": if currentId != nil { current.outlineLevel = wordAttribute(attributeDict, "val").flatMap { Int($0) } }
        case "w:numId": if currentId != nil { current.numId = wordAttribute(attributeDict, "val") }
        case "w:ilvl": if currentId != nil { current.numLevel = wordAttribute(attributeDict, "val").flatMap { Int($0) } }
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        if elementName == "w:style", let id = currentId {
            sheet.styles[id] = current
            currentId = nil
        }
    }
}

final class NumberingParser: NSObject, XMLParserDelegate {
    var defs = NumberingDefinitions()
    private var abstractId: String?
    private var levelIndex: Int?
    private var level = NumberingDefinitions.Level()
    private var numId: String?
    private var overrideLevel: Int?

    static func parse(_ data: Data) -> NumberingDefinitions? {
        let delegate = NumberingParser()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        parser.shouldResolveExternalEntities = false
        return parser.parse() ? delegate.defs : nil
    }

    func parser(
        _ parser: XMLParser,
        didStartElement elementName: String,
        namespaceURI: String?,
        qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        switch elementName {
        case "w:abstractNum":
            abstractId = wordAttribute(attributeDict, "abstractNumId")
            if let id = abstractId { defs.abstract[id] = [:] }
        case "w:lvl":
            if numId == nil {
                levelIndex = wordAttribute(attributeDict, "ilvl").flatMap { Int($0) }
                level = NumberingDefinitions.Level()
            }
        case "w:start": if levelIndex != nil, let v = wordAttribute(attributeDict, "val").flatMap({ Int($0) }) { level.start = v }
        case "w:numFmt": if levelIndex != nil, let v = wordAttribute(attributeDict, "val") { level.format = v }
        case "w:lvlText": if levelIndex != nil, let v = wordAttribute(attributeDict, "val") { level.text = v }
        case "w:num": numId = wordAttribute(attributeDict, "numId")
        case "w:abstractNumId":
            if let n = numId, let a = wordAttribute(attributeDict, "val") { defs.numToAbstract[n] = a }
        case "w:lvlOverride": overrideLevel = wordAttribute(attributeDict, "ilvl").flatMap { Int($0) }
        case "w:startOverride":
            if let n = numId, let l = overrideLevel, let v = wordAttribute(attributeDict, "val").flatMap({ Int($0) }) {
                defs.startOverrides[n, default: [:]][l] = v
            }
        default: break
        }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        switch elementName {
        case "w:lvl":
            if let a = abstractId, let l = levelIndex, numId == nil { defs.abstract[a]?[l] = level }
            levelIndex = nil
        case "w:abstractNum": abstractId = nil
        case "w:num": numId = nil
        case "w:lvlOverride": overrideLevel = nil
        default: break
        }
    }
}
