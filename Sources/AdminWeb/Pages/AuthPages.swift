import Foundation
import GRDB
import Hummingbird

/// `/admin` (where to go), `/admin/setup` (the first owner, with the setup code from the log), `/admin/login`,
/// `/admin/logout` and `/admin/language`.
enum AuthPages: AdminPageModule {
    static func register(on routes: AdminRoutes) {
        let admin = routes.admin

        routes.get("", access: .anyone) { _, context in
            if try !admin.users.hasUsers() { return .redirect(to: "/admin/setup") }
            return .redirect(to: context.identity == nil ? "/admin/login" : "/admin/dashboard")
        }

        routes.get("language", access: .anyone) { request, context in
            let code = request.uri.queryParameters["lang"].map(String.init) ?? ""
            let next = request.uri.queryParameters["next"].map(String.init) ?? "/admin"
            // Only paths of this site: no scheme, no host, no `//` (an open redirect would help phishing).
            let target = next.hasPrefix("/admin") && !next.contains("//") && !next.contains("\\") ? next : "/admin"
            var response = Response.redirect(to: target)
            if let language = AdminLanguage(code: code) {
                response.setCookie(
                    Cookie(
                        name: AdminCookies.language,
                        value: language.rawValue,
                        maxAge: 365 * 86400,
                        path: "/admin",
                        secure: context.secureCookies,
                        httpOnly: true,
                        sameSite: .strict
                    )
                )
            }
            return response
        }

        // MARK: First run

        routes.get("setup", access: .anyone) { _, context in
            if try admin.users.hasUsers() { return .redirect(to: "/admin/login") }
            return setupPage(admin, context: context)
        }

        routes.post("setup", access: .anyone) { _, context, form in
            if try admin.users.hasUsers() { return .redirect(to: "/admin/login") }
            let address = context.remoteAddress
            if let wait = admin.signInLimiter.retryAfter(address) { return tooManyAttempts(admin, wait: wait, template: "setup", context: context) }
            let username = form.text("username")
            let password = form["password"] ?? ""
            let code = form.text("setup_code")
            do {
                try AdminUsers.validate(username: username, password: password)
            } catch let error as AdminUserError {
                return setupPage(admin, error: admin.text(error.messageKey, context), username: username, status: .badRequest, context: context)
            }
            guard admin.consumeSetupCode(code) else {
                admin.signInLimiter.recordFailure(address)
                try await admin.audit.record("auth.setup_failed", target: username, detail: "wrong setup code", context: context)
                return setupPage(admin, error: admin.text("setup_wrong_code", context), username: username, status: .badRequest, context: context)
            }
            let token: String
            do {
                token = try await signIn(admin, context: context, action: "auth.setup") { db in
                    try admin.users.create(username: username, password: password, role: .owner, in: db)
                }
            } catch {
                admin.restoreSetupCode(code)
                throw error
            }
            var response = Response.redirect(to: "/admin/dashboard", flash: Flash(.success, admin.text("setup_done", context, ["name": username])))
            response.setCookie(sessionCookie(admin, token: token, context: context))
            return response
        }

        // MARK: Sign in and out

        routes.get("login", access: .anyone) { _, context in
            if try !admin.users.hasUsers() { return .redirect(to: "/admin/setup") }
            if context.identity != nil { return .redirect(to: "/admin/dashboard") }
            return loginPage(admin, context: context)
        }

        routes.post("login", access: .anyone) { _, context, form in
            let address = context.remoteAddress
            let username = form.text("username")
            if let wait = admin.signInLimiter.retryAfter(address) {
                try await admin.audit.record("auth.sign_in_failed", target: username, detail: "too many attempts", context: context)
                return tooManyAttempts(admin, wait: wait, template: "login", context: context)
            }
            guard let user = try admin.users.authenticate(username: username, password: form["password"] ?? ""), let userID = user.id else {
                admin.signInLimiter.recordFailure(address)
                try await admin.audit.record("auth.sign_in_failed", target: username, detail: "wrong_credentials", context: context)
                return loginPage(admin, error: admin.text("login_failed", context), username: username, status: .unauthorized, context: context)
            }
            admin.signInLimiter.reset(address)
            let token = try await signIn(admin, context: context, action: "auth.sign_in") { db in
                try admin.users.recordSignIn(userID: userID, in: db)
                return user
            }
            var response = Response.redirect(to: "/admin/dashboard")
            response.setCookie(sessionCookie(admin, token: token, context: context))
            return response
        }

        routes.post("logout") { _, context, _ in
            if let identity = context.identity {
                try await admin.sessions.delete(id: identity.sessionID)
                try await admin.audit.record("auth.sign_out", target: identity.user.username, context: context)
            }
            var response = Response.redirect(to: "/admin/login", flash: Flash(.info, admin.text("logout_done", context)))
            response.setCookie(
                Cookie(
                    name: AdminCookies.session,
                    value: "",
                    maxAge: 0,
                    path: "/admin",
                    secure: context.secureCookies,
                    httpOnly: true,
                    sameSite: .strict
                )
            )
            return response
        }
    }

    /// Creates a session for the user `prepare` returns, with an audit row, in one transaction; returns the cookie token.
    static func signIn(
        _ admin: AdminWeb,
        context: AdminRequestContext,
        action: String,
        prepare: @escaping @Sendable (Database) throws -> AdminUser
    ) async throws -> String {
        let address = context.remoteAddress
        return try await admin.environment.database.writer.write { db in
            let user = try prepare(db)
            guard let userID = user.id else { throw AdminError.notFound }
            let (token, _) = try admin.sessions.create(userID: userID, address: address, in: db)
            try AdminAudit.insert(action, target: user.username, detail: nil, actor: user.username, address: address, in: db)
            return token
        }
    }

    static func sessionCookie(_ admin: AdminWeb, token: String, context: AdminRequestContext) -> Cookie {
        Cookie(
            name: AdminCookies.session,
            value: token,
            maxAge: Int(admin.configuration.sessionLifetime),
            path: "/admin",
            secure: context.secureCookies,
            httpOnly: true,
            sameSite: .strict
        )
    }

    static func setupPage(
        _ admin: AdminWeb,
        error: String? = nil,
        username: String = "",
        status: HTTPResponse.Status = .ok,
        context: AdminRequestContext
    ) -> Response {
        var data: [String: Any] = ["username": username, "minLength": AdminUsers.minimumPasswordLength]
        if let error { data["error"] = error }
        return admin.renderer.page("setup", titleKey: "setup_title", data: data, status: status, context: context)
    }

    static func loginPage(
        _ admin: AdminWeb,
        error: String? = nil,
        username: String = "",
        status: HTTPResponse.Status = .ok,
        context: AdminRequestContext
    ) -> Response {
        var data: [String: Any] = ["username": username]
        if let error { data["error"] = error }
        return admin.renderer.page("login", titleKey: "login_title", data: data, status: status, context: context)
    }

    static func tooManyAttempts(_ admin: AdminWeb, wait: TimeInterval, template: String, context: AdminRequestContext) -> Response {
        let minutes = max(1, Int((wait / 60).rounded(.up)))
        let data: [String: Any] = [
            "error": admin.text("login_rate_limited", context, ["minutes": "\(minutes)"]), "minLength": AdminUsers.minimumPasswordLength,
        ]
        var response = admin.renderer.page(
            template,
            titleKey: template == "setup" ? "setup_title" : "login_title",
            data: data,
            status: .tooManyRequests,
            context: context
        )
        response.headers[.retryAfter] = "\(Int(wait.rounded(.up)))"
        return response
    }
}
