import Foundation

/// JSON request bodies as the API reads them (see ``JSONRequestBodyMiddleware``).
enum APIJSONBody {
    /// `json` with each `\u0000` escape turned into `\uFFFD`. A backslash always takes the byte after it, so an escaped
    /// backslash followed by `u0000` (the six characters of text) is left as it is.
    static func replacingNULEscapes(in json: Data) -> Data {
        let bytes = [UInt8](json)
        let backslash = UInt8(ascii: "\\")
        let zero = UInt8(ascii: "0")
        guard bytes.contains(backslash) else { return json }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == backslash, index + 1 < bytes.count else {
                output.append(byte)
                index += 1
                continue
            }
            if bytes[index + 1] == UInt8(ascii: "u"), index + 5 < bytes.count,
                bytes[(index + 2)...(index + 5)].allSatisfy({ $0 == zero })
            {
                output.append(contentsOf: Array("\\uFFFD".utf8))
                index += 6
            } else {
                output.append(contentsOf: bytes[index...(index + 1)])
                index += 2
            }
        }
        return Data(output)
    }
}
