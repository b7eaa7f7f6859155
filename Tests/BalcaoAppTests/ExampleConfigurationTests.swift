import BalcaoTesting
import Foundation
import Testing

@testable import BalcaoApp

@Suite("Example configuration")
struct ExampleConfigurationTests {
    @Test("Resources/balcao.toml documents only keys the daemon reads, and loads to the embedded defaults")
    func exampleMatchesDefaults() throws {
        let file = SharedFixtures.repositoryRoot.appendingPathComponent("Resources/balcao.toml")
        let loaded = try BalcaoConfiguration.load(file: file, environment: [:])
        #expect(loaded == BalcaoConfiguration())
    }
}
