import Foundation

@testable import Extraction

/// The shared corpus (`../shared/corpus` next to the repository), or `BALCAO_CORPUS`.
enum Corpus {
    static let root: URL = {
        if let env = ProcessInfo.processInfo.environment["BALCAO_CORPUS"] { return URL(fileURLWithPath: env) }
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let repo = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent().appendingPathComponent("shared/corpus")
    }()

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }
}

enum Outcome {
    case document(ExtractedDocument)
    case failure(ExtractionError)

    var document: ExtractedDocument? {
        if case .document(let d) = self { return d }
        return nil
    }

    var error: ExtractionError? {
        if case .failure(let e) = self { return e }
        return nil
    }
}

func extract(_ url: URL, password: String? = nil, limits: ExtractionLimits = ExtractionLimits()) -> Outcome {
    do {
        return .document(try DocumentExtractor(limits: limits).extract(fileAt: url, password: password))
    } catch {
        return .failure(error)
    }
}

func corpus(_ relative: String, password: String? = nil) -> Outcome {
    extract(Corpus.url(relative), password: password)
}

func temporaryFile(_ name: String, _ data: Data) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("balcao-extraction-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try data.write(to: url)
    return url
}

// MARK: - Building zip files by hand (stored entries, and deflate bombs with lying headers)

enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

struct ZipBuilder {
    struct Entry {
        var name: String
        var method: UInt16  // 0 stored, 8 deflate
        var payload: [UInt8]
        var declaredSize: UInt32
        var crc: UInt32
    }

    var entries: [Entry] = []

    mutating func addStored(_ name: String, _ text: String) {
        let bytes = Array(text.utf8)
        entries.append(Entry(name: name, method: 0, payload: bytes, declaredSize: UInt32(bytes.count), crc: CRC32.checksum(bytes)))
    }

    /// A deflate stream of `zeros` zero bytes (fixed Huffman, 258-byte back-references: ~160:1),
    /// whose header may declare a smaller size than it really expands to.
    mutating func addZeroBomb(_ name: String, zeros: Int, declaredSize: UInt32? = nil) {
        var bits = BitWriter()
        bits.write(1, count: 1)  // BFINAL
        bits.write(1, count: 2)  // BTYPE = fixed Huffman
        bits.huffman(0x30, length: 8)  // literal 0
        var remaining = zeros - 1
        while remaining >= 258 {
            bits.huffman(0xC5, length: 8)  // length code 285 = 258
            bits.huffman(0, length: 5)  // distance code 0 = 1
            remaining -= 258
        }
        while remaining > 0 {
            bits.huffman(0x30, length: 8)
            remaining -= 1
        }
        bits.huffman(0, length: 7)  // end of block
        let payload = bits.bytes()
        entries.append(
            Entry(
                name: name,
                method: 8,
                payload: payload,
                declaredSize: declaredSize ?? UInt32(zeros),
                crc: CRC32.checksum([UInt8](repeating: 0, count: zeros))
            )
        )
    }

    func build() -> Data {
        var out: [UInt8] = []
        var central: [UInt8] = []
        func u16(_ v: UInt16, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32, _ a: inout [UInt8]) { a += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }
        for e in entries {
            let offset = UInt32(out.count)
            let name = Array(e.name.utf8)
            u32(0x0403_4B50, &out)
            u16(20, &out)
            u16(0, &out)
            u16(e.method, &out)
            u16(0, &out)
            u16(0x21, &out)
            u32(e.crc, &out)
            u32(UInt32(e.payload.count), &out)
            u32(e.declaredSize, &out)
            u16(UInt16(name.count), &out)
            u16(0, &out)
            out += name
            out += e.payload
            u32(0x0201_4B50, &central)
            u16(20, &central)
            u16(20, &central)
            u16(0, &central)
            u16(e.method, &central)
            u16(0, &central)
            u16(0x21, &central)
            u32(e.crc, &central)
            u32(UInt32(e.payload.count), &central)
            u32(e.declaredSize, &central)
            u16(UInt16(name.count), &central)
            u16(0, &central)
            u16(0, &central)
            u16(0, &central)
            u16(0, &central)
            u32(0, &central)
            u32(offset, &central)
            central += name
        }
        let cdOffset = UInt32(out.count)
        out += central
        u32(0x0605_4B50, &out)
        u16(0, &out)
        u16(0, &out)
        u16(UInt16(entries.count), &out)
        u16(UInt16(entries.count), &out)
        u32(UInt32(central.count), &out)
        u32(cdOffset, &out)
        u16(0, &out)
        return Data(out)
    }
}

struct BitWriter {
    private var buffer: [UInt8] = []
    private var current: UInt32 = 0
    private var used = 0

    mutating func write(_ value: UInt32, count: Int) {
        for i in 0..<count { bit((value >> UInt32(i)) & 1) }
    }

    /// Huffman codes go most significant bit first.
    mutating func huffman(_ code: UInt32, length: Int) {
        for i in stride(from: length - 1, through: 0, by: -1) { bit((code >> UInt32(i)) & 1) }
    }

    private mutating func bit(_ b: UInt32) {
        current |= b << UInt32(used)
        used += 1
        if used == 8 {
            buffer.append(UInt8(current))
            current = 0
            used = 0
        }
    }

    func bytes() -> [UInt8] { used > 0 ? buffer + [UInt8(current)] : buffer }
}

/// A minimal DOCX with the given body XML (and optional numbering, styles, footnotes).
func makeDOCX(body: String, numbering: String? = nil, styles: String? = nil, footnotes: String? = nil) -> Data {
    let ns =
        #"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" xmlns:v="urn:schemas-microsoft-com:vml""#
    var zip = ZipBuilder()
    zip.addStored("[Content_Types].xml", #"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#)
    zip.addStored("word/document.xml", #"<?xml version="1.0" encoding="UTF-8"?><w:document \#(ns)><w:body>\#(body)</w:body></w:document>"#)
    if let numbering { zip.addStored("word/numbering.xml", #"<?xml version="1.0"?><w:numbering \#(ns)>\#(numbering)</w:numbering>"#) }
    if let styles { zip.addStored("word/styles.xml", #"<?xml version="1.0"?><w:styles \#(ns)>\#(styles)</w:styles>"#) }
    if let footnotes { zip.addStored("word/footnotes.xml", #"<?xml version="1.0"?><w:footnotes \#(ns)>\#(footnotes)</w:footnotes>"#) }
    return zip.build()
}
