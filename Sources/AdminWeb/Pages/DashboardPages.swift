import Foundation
import Hummingbird

/// `/admin/dashboard`: today and the last 30 days at a glance.
enum DashboardPages: AdminPageModule {
    static func register(on routes: AdminRoutes) {
        let admin = routes.admin
        routes.get("dashboard") { _, context in
            let balance = try await admin.environment.ledger.balance()
            let data: [String: Any] = ["balance": balance.formatted]
            return admin.renderer.page("dashboard", titleKey: "dashboard_title", data: data, context: context)
        }
    }
}
