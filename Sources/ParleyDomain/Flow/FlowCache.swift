import Synchronization

extension FlowDocument {
    /// Parsed documents by content. Parsing is a pure function of the text, so remembering results changes no
    /// outcome; it spares replay and repeated publishing from parsing the same flow again.
    private static let cache = Mutex<[String: Result<FlowDocument, FlowError>]>([:])
    /// Entries kept before the cache starts over.
    private static let cacheLimit = 512

    /// `parse(_:)`, remembered per content.
    public static func parseCached(_ text: String) throws(FlowError) -> FlowDocument {
        if let known = cache.withLock({ $0[text] }) { return try known.get() }
        let result: Result<FlowDocument, FlowError>
        do throws(FlowError) {
            result = .success(try parse(text))
        } catch {
            result = .failure(error)
        }
        cache.withLock { entries in
            if entries.count >= cacheLimit { entries.removeAll(keepingCapacity: true) }
            entries[text] = result
        }
        return try result.get()
    }
}
