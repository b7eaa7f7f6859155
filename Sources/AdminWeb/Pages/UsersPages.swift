import Foundation
import GRDB
import Hummingbird

/// `/admin/users` (owner): people who sign in, their roles; create, change role, reset password, delete.
enum UsersPages: AdminPageModule {
    static func register(on routes: AdminRoutes) {
        let admin = routes.admin

        routes.get("users", access: .owner) { _, context in
            try page(admin, context: context)
        }

        routes.post("users", access: .owner) { _, context, form in
            let username = form.text("username")
            let password = form["password"] ?? ""
            let role = AdminRole(rawValue: form.text("role")) ?? .operator
            do {
                try AdminUsers.validate(username: username, password: password)
                let hash = try admin.users.hash(password)
                try await admin.environment.database.writer.write { db in
                    if try AdminUser.filter(Column("username").collating(.nocase) == username).fetchCount(db) > 0 {
                        throw AdminUserError.usernameTaken
                    }
                    let date = admin.configuration.now()
                    var user = AdminUser(
                        id: nil,
                        username: username,
                        passwordHash: hash,
                        role: role,
                        createdAt: date,
                        updatedAt: date,
                        lastSignInAt: nil
                    )
                    try user.insert(db)
                    try AdminAudit.record("user.create", target: username, detail: role.rawValue, context: context, in: db)
                }
            } catch let error as AdminUserError {
                return try page(admin, error: admin.text(error.messageKey, context), username: username, status: .badRequest, context: context)
            }
            return .redirect(to: "/admin/users", flash: Flash(.success, admin.text("users_added", context, ["name": username])))
        }

        routes.post("users/{id}/role", access: .owner) { _, context, form in
            let id = try userID(context)
            guard let role = AdminRole(rawValue: form.text("role")) else { throw AdminError.badRequest("error_bad_request") }
            do {
                let user = try await admin.environment.database.writer.write { db in
                    let user = try admin.users.setRole(role, userID: id, in: db)
                    try AdminAudit.record("user.role", target: user.username, detail: role.rawValue, context: context, in: db)
                    return user
                }
                return .redirect(to: "/admin/users", flash: Flash(.success, admin.text("users_role_changed", context, ["name": user.username])))
            } catch let error as AdminUserError {
                return .redirect(to: "/admin/users", flash: Flash(.error, admin.text(error.messageKey, context)))
            }
        }

        routes.post("users/{id}/password", access: .owner) { _, context, form in
            let id = try userID(context)
            do {
                let hash = try admin.users.hash(form["password"] ?? "")
                let name = try await admin.environment.database.writer.write { db -> String in
                    try admin.users.setPasswordHash(hash, userID: id, in: db)
                    let name = try String.fetchOne(db, sql: "SELECT username FROM adminUser WHERE id = ?", arguments: [id]) ?? "\(id)"
                    try AdminAudit.record("user.password", target: name, context: context, in: db)
                    return name
                }
                return .redirect(to: "/admin/users", flash: Flash(.success, admin.text("users_password_changed", context, ["name": name])))
            } catch let error as AdminUserError {
                return .redirect(to: "/admin/users", flash: Flash(.error, admin.text(error.messageKey, context)))
            }
        }

        routes.post("users/{id}/delete", access: .owner) { _, context, _ in
            let id = try userID(context)
            do {
                let user = try await admin.environment.database.writer.write { db in
                    let user = try admin.users.delete(userID: id, in: db)
                    try AdminAudit.record("user.delete", target: user.username, detail: user.role.rawValue, context: context, in: db)
                    return user
                }
                if id == context.identity?.user.id { return .redirect(to: "/admin/login") }
                return .redirect(to: "/admin/users", flash: Flash(.success, admin.text("users_deleted", context, ["name": user.username])))
            } catch let error as AdminUserError {
                return .redirect(to: "/admin/users", flash: Flash(.error, admin.text(error.messageKey, context)))
            }
        }
    }

    static func userID(_ context: AdminRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("id", as: Int64.self) else { throw AdminError.notFound }
        return id
    }

    static func page(
        _ admin: AdminWeb,
        error: String? = nil,
        username: String = "",
        status: HTTPResponse.Status = .ok,
        context: AdminRequestContext
    ) throws -> Response {
        let language = context.language
        let me = context.identity?.user.id
        let rows: [[String: Any]] = try admin.users.all().map { user in
            [
                "id": user.id ?? 0, "username": user.username, "role": admin.text("role_\(user.role.rawValue)", context),
                "isOwner": user.role == .owner, "isMe": user.id == me,
                "created": AdminFormat.dateTime(user.createdAt, language),
                "lastSignIn": user.lastSignInAt.map { AdminFormat.dateTime($0, language) } ?? admin.text("never", context),
            ]
        }
        var data: [String: Any] = ["users": rows, "username": username, "minLength": AdminUsers.minimumPasswordLength]
        if let error { data["error"] = error }
        return admin.renderer.page("users", titleKey: "users_title", data: data, status: status, context: context)
    }
}
