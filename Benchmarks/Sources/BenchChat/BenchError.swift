/// A failed benchmark precondition, with a message for the person running it.
public struct BenchError: Error, CustomStringConvertible {
    /// What went wrong.
    public let description: String

    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}
