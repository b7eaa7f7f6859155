import Foundation
import GRDB
import Hummingbird

/// `/admin/audit` (owner): who did what, when and from where; filter by action area and actor; newest first.
enum AuditPages: AdminPageModule {
    static let pageSize = 100

    static func register(on routes: AdminRoutes) {
        let admin = routes.admin
        routes.get("audit", access: .owner) { request, context in
            let query = request.uri.queryParameters
            let area = query["area"].map(String.init) ?? ""
            let actor = (query["actor"].map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
            let before = query["before"].flatMap { Int64(String($0)) }
            let (entries, areas) = try admin.environment.database.reader.readNow { db -> ([AuditEntry], [String]) in
                var request = AuditEntry.all()
                if !area.isEmpty { request = request.filter(Column("action").like(area.replacingOccurrences(of: "%", with: "") + ".%")) }
                if !actor.isEmpty { request = request.filter(Column("actor") == actor) }
                if let before { request = request.filter(Column("id") < before) }
                let entries = try request.order(Column("id").desc).limit(pageSize + 1).fetchAll(db)
                let areas = try String.fetchAll(
                    db,
                    sql: "SELECT DISTINCT substr(action, 1, instr(action, '.') - 1) FROM auditEntry WHERE instr(action, '.') > 0 ORDER BY 1"
                )
                return (entries, areas)
            }
            let language = context.language
            let page = entries.prefix(pageSize)
            let rows: [[String: Any]] = page.map { entry in
                var row: [String: Any] = [
                    "id": entry.id ?? 0, "date": AdminFormat.dateTime(entry.createdAt, language),
                    "actor": entry.actor == "anonymous" ? admin.text("audit_actor_anonymous", context) : entry.actor,
                    "address": entry.address.isEmpty ? "—" : entry.address, "action": entry.action,
                    "actionLabel": admin.renderer.localizer.contains("audit_action_\(entry.action)")
                        ? admin.text("audit_action_\(entry.action)", context) : entry.action,
                    "failed": entry.action.hasSuffix("_failed"),
                    "target": entry.target ?? "",
                ]
                if let detail = entry.detail, !detail.isEmpty {
                    // Details written as a code (e.g. `wrong_credentials`) read in the page's language.
                    let key = "audit_detail_\(detail)"
                    row["detail"] = admin.renderer.localizer.contains(key) ? admin.text(key, context) : detail
                }
                return row
            }
            var filterQuery: [String] = []
            if !area.isEmpty { filterQuery.append("area=\(area.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") }
            if !actor.isEmpty { filterQuery.append("actor=\(actor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") }
            var data: [String: Any] = [
                "entries": rows, "hasEntries": !rows.isEmpty, "actor": actor, "filtered": !area.isEmpty || !actor.isEmpty,
                "areas": areas.map { ["value": $0, "selected": $0 == area] as [String: Any] },
            ]
            if entries.count > pageSize, let last = page.last?.id {
                data["nextHref"] = "/admin/audit?" + (filterQuery + ["before=\(last)"]).joined(separator: "&")
            }
            if before != nil { data["firstHref"] = "/admin/audit" + (filterQuery.isEmpty ? "" : "?" + filterQuery.joined(separator: "&")) }
            return admin.renderer.page("audit", titleKey: "audit_title", data: data, context: context)
        }
    }
}
