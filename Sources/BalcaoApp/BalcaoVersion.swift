/// The version of this build.
public enum BalcaoVersion {
    /// Semantic version, also used by the package.
    public static let current = "0.1.0"
}
