import Crypto
public import Foundation
public import HTTPTypes
public import Hummingbird
import Mustache
import NIOCore

/// Renders pages: Mustache templates from `<web root>/templates` (`{{ }}` escapes HTML; `{{{ }}}` is used only for
/// markup the server built itself, such as SVG charts), wrapped in `layout.mustache` through template inheritance.
public struct AdminRenderer: Sendable {
    let library: MustacheLibrary
    /// The localization table.
    public let localizer: Localizer
    /// The static assets.
    public let assets: AdminAssets

    /// Loads templates, strings and assets from a web root (`templates/`, `strings/`, `assets/`).
    public init(webRoot: URL) throws {
        var library = MustacheLibrary()
        let templates = webRoot.appendingPathComponent("templates", isDirectory: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: templates.path).filter { $0.hasSuffix(".mustache") }.sorted()
        for name in names {
            let text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
            do {
                try library.register(text, named: String(name.dropLast(".mustache".count)))
            } catch {
                throw LocalizationError(description: "template \(name): \(error)")
            }
        }
        self.library = library
        localizer = try Localizer(directory: webRoot.appendingPathComponent("strings", isDirectory: true))
        assets = try AdminAssets(directory: webRoot.appendingPathComponent("assets", isDirectory: true))
    }

    /// Whether a template exists.
    public func hasTemplate(_ name: String) -> Bool { library.getTemplate(named: name) != nil }

    /// Renders a template with `data` plus what every page gets: `t` (the strings of the request's language), `lang`,
    /// `csrf`, `me` (`name`, `role`, `isOwner`), `nav`, `flash`, `asset` (URLs with content hashes: `asset.admin_css`),
    /// `title` (from `titleKey`) and `langSwitch`. These names win over keys of `data` with the same name.
    public func render(_ template: String, titleKey: String, data: [String: Any] = [:], context: AdminRequestContext) -> String {
        var values = data
        let language = context.language
        let strings = localizer.table(language)
        values["t"] = strings
        values["lang"] = language.rawValue
        values["csrf"] = context.csrfToken
        values["title"] = strings[titleKey] ?? titleKey
        values["asset"] = assets.urls
        if let identity = context.identity {
            values["me"] =
                [
                    "name": identity.user.username, "role": strings["role_\(identity.role.rawValue)"] ?? identity.role.rawValue,
                    "isOwner": identity.role == .owner,
                ] as [String: Any]
            values["nav"] = AdminNavigation.items(for: identity.role, current: context.currentPath, strings: strings)
        }
        if let flash = context.flash {
            values["flash"] = ["kind": flash.kind.rawValue, "text": flash.text]
        }
        let next = context.currentPath
        values["langSwitch"] = AdminLanguage.allCases.map { other -> [String: Any] in
            [
                "code": other.rawValue, "label": other == .portuguese ? "PT" : "EN", "current": other == language,
                "href": "/admin/language?lang=\(other.rawValue)&next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")",
            ]
        }
        return library.render(values, withTemplate: template) ?? "template \(template) not found"
    }

    /// An HTML response of a rendered template.
    public func page(
        _ template: String,
        titleKey: String,
        data: [String: Any] = [:],
        status: HTTPResponse.Status = .ok,
        context: AdminRequestContext
    ) -> Response {
        Response.html(render(template, titleKey: titleKey, data: data, context: context), status: status)
    }
}

extension Response {
    /// A `text/html; charset=utf-8` response.
    public static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// A `303 See Other` to a path of the admin page with a one-time message for the next page
    /// (`.redirect(to:)` without a message is Hummingbird's, also 303).
    public static func redirect(to path: String, flash: Flash) -> Response {
        var response = Response(status: .seeOther, headers: [.location: path])
        if let json = try? JSONEncoder().encode(flash) {
            response.setCookie(Cookie(name: AdminCookies.flash, value: AdminCookies.encode(json), path: "/admin", httpOnly: true, sameSite: .strict))
        }
        return response
    }

    /// A JSON response.
    public static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Names and encoding of the admin page's cookies.
public enum AdminCookies {
    /// The session cookie.
    public static let session = "balcao_session"
    /// The anti-forgery cookie of signed-out browsers.
    public static let csrf = "balcao_csrf"
    /// The language choice.
    public static let language = "balcao_lang"
    /// The one-time message.
    public static let flash = "balcao_flash"

    static func encode(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

/// The navigation bar: each page, and the role it needs.
enum AdminNavigation {
    static let entries: [(path: String, key: String, ownerOnly: Bool)] = [
        ("/admin/dashboard", "nav_dashboard", false),
        ("/admin/conversations", "nav_conversations", false),
        ("/admin/unanswered", "nav_unanswered", false),
        ("/admin/documents", "nav_documents", false),
        ("/admin/agents", "nav_agents", false),
        ("/admin/credits", "nav_credits", false),
        ("/admin/settings", "nav_settings", true),
        ("/admin/users", "nav_users", true),
        ("/admin/audit", "nav_audit", true),
    ]

    static func items(for role: AdminRole, current: String, strings: [String: String]) -> [[String: Any]] {
        entries.filter { !$0.ownerOnly || role == .owner }.map { entry in
            ["href": entry.path, "label": strings[entry.key] ?? entry.key, "active": current == entry.path || current.hasPrefix(entry.path + "/")]
        }
    }
}

/// Static files (`<web root>/assets`), held in memory with their content hash.
///
/// Served at `/admin/assets/<name>`: with `?v=<hash>` matching the content, `Cache-Control: public, max-age=31536000,
/// immutable`; otherwise `no-cache`. Always with an `ETag`, answering `If-None-Match` with 304.
public struct AdminAssets: Sendable {
    /// One file.
    public struct Asset: Sendable {
        /// The bytes.
        public var bytes: [UInt8]
        /// The media type.
        public var contentType: String
        /// The first 16 hex digits of the SHA-256 of the bytes.
        public var hash: String
    }

    /// Files by name.
    public let files: [String: Asset]

    /// Loads every file of `directory` (not recursive).
    public init(directory: URL) throws {
        var files: [String: Asset] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where !name.hasPrefix(".") {
            let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
            let hash = SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
            files[name] = Asset(bytes: bytes, contentType: Self.contentType(of: name), hash: hash)
        }
        self.files = files
    }

    /// URLs with content hashes, keyed by file name with `.` and `-` turned into `_` (`admin.css` → `admin_css`).
    public var urls: [String: String] {
        Dictionary(uniqueKeysWithValues: files.map { name, asset in (Self.key(name), "/admin/assets/\(name)?v=\(asset.hash)") })
    }

    /// The template key of a file name.
    public static func key(_ name: String) -> String {
        name.replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    static func contentType(of name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "css": return "text/css; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        case "woff2": return "font/woff2"
        default: return "application/octet-stream"
        }
    }

    /// The response for `GET /admin/assets/<name>`.
    func response(name: String, request: Request) -> Response {
        guard let asset = files[name] else { return Response(status: .notFound) }
        let etag = "\"\(asset.hash)\""
        var headers: HTTPFields = [.eTag: etag, .contentType: asset.contentType]
        let versioned = request.uri.queryParameters["v"].map(String.init) == asset.hash
        headers[.cacheControl] = versioned ? "public, max-age=31536000, immutable" : "no-cache"
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
