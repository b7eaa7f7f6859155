import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Storage

/// Runs around every `/admin` route: reads the language, session and one-time message; turns thrown errors into
/// error pages; adds the security headers and `Server-Timing` to every response.
struct AdminMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    let admin: AdminWeb

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let path = request.uri.path
        context.currentPath = path
        context.secureCookies = admin.configuration.secureCookies ?? (request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https")
        let cookies = request.cookies
        if let code = cookies[AdminCookies.language]?.value, let language = AdminLanguage(code: code) {
            context.language = language
        }
        var newAnonymousCSRF: String?
        var flashWasRead = false
        if !path.hasPrefix("/admin/assets/") {
            if let token = cookies[AdminCookies.session]?.value {
                do {
                    context.identity = try await admin.sessions.identity(token: token)
                } catch {
                    admin.environment.logger.error("could not read an admin session", metadata: ["error": "\(error)"])
                }
            }
            if context.identity == nil {
                if let existing = cookies[AdminCookies.csrf]?.value, existing.count >= 32, existing.count <= 64 {
                    context.anonymousCSRF = existing
                } else {
                    let fresh = AdminTokens.random()
                    context.anonymousCSRF = fresh
                    newAnonymousCSRF = fresh
                }
            }
            if let value = cookies[AdminCookies.flash]?.value {
                flashWasRead = true
                if let data = AdminCookies.decode(value), let flash = try? JSONDecoder().decode(Flash.self, from: data) {
                    context.flash = flash
                }
            }
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as AdminError {
            response = errorResponse(status: error.status, message: admin.text(error.messageKey, context, error.values), path: path, context: context)
        } catch let error as HTTPError {
            let key = error.status == .notFound ? "error_not_found" : (error.status == .contentTooLarge ? "error_too_large" : "error_bad_request")
            response = errorResponse(status: error.status, message: admin.text(key, context), path: path, context: context)
        } catch {
            if let storage = StorageError(error) {
                // A full disk, a read-only data directory or a locked database: say so instead of "something went wrong".
                admin.environment.logger.error(
                    "storage failure: an admin request was refused",
                    metadata: ["path": "\(path)", "cause": "\(storage.code)", "error": "\(error)"]
                )
                let status = storage == .diskFull ? HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage") : .serviceUnavailable
                response = errorResponse(status: status, message: admin.text("error_\(storage.code)", context), path: path, context: context)
            } else {
                admin.environment.logger.error("admin page failed", metadata: ["path": "\(path)", "error": "\(error)"])
                response = errorResponse(status: .internalServerError, message: admin.text("error_internal", context), path: path, context: context)
            }
        }
        if let fresh = newAnonymousCSRF {
            response.setCookie(
                Cookie(name: AdminCookies.csrf, value: fresh, path: "/admin", secure: context.secureCookies, httpOnly: true, sameSite: .strict)
            )
        }
        // A message is shown once: clear it unless this response is a redirect that sets a new one.
        if flashWasRead, !(300..<400).contains(Int(response.status.code)) {
            response.setCookie(
                Cookie(
                    name: AdminCookies.flash,
                    value: "",
                    maxAge: 0,
                    path: "/admin",
                    secure: context.secureCookies,
                    httpOnly: true,
                    sameSite: .strict
                )
            )
        }
        if !path.hasPrefix("/admin/assets/"), response.headers[.cacheControl] == nil {
            response.headers[.cacheControl] = "no-store"
        }
        AdminSecurityHeaders.apply(to: &response.headers, milliseconds: context.elapsedMilliseconds)
        return response
    }

    private func errorResponse(status: HTTPResponse.Status, message: String, path: String, context: Context) -> Response {
        if path.hasSuffix(".json") {
            return .json(["error": message], status: status)
        }
        let data: [String: Any] = ["status": Int(status.code), "message": message, "signedIn": context.identity != nil]
        return admin.renderer.page("error", titleKey: "error_title", data: data, status: status, context: context)
    }
}
