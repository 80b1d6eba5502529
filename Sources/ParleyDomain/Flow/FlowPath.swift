/// JSONPath references and deploy-time placeholders as they appear in flow parameter values.
///
/// A reference is `$.` and a letter, then dot-separated segments of letters, digits, `_` and `-`, each optionally followed
/// by `[n]` or `['key']` (`$.Attributes.x`, `$.External.order.items[0]`, `$.Attributes['two words']`, `$.Channel`).
public enum FlowPath {
    /// Whether `text` is exactly one JSONPath reference with nothing before or after it.
    public static func isJSONPath(_ text: String) -> Bool { segments(of: text) != nil }

    /// The segments of `text` if it is exactly one JSONPath reference: `$.Attributes.x` → `["Attributes", "x"]`.
    public static func segments(of text: String) -> [String]? {
        let scalars = Array(text.unicodeScalars)
        guard let (segments, end) = scan(scalars, from: 0), end == scalars.count else { return nil }
        return segments
    }

    /// Whether `text` contains a JSONPath reference anywhere (a template such as `"Hi $.Attributes.name"`).
    public static func containsJSONPath(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        for index in scalars.indices where scalars[index] == "$" && scan(scalars, from: index) != nil {
            return true
        }
        return false
    }

    /// Whether `text` carries a deploy-time placeholder (`${Name}`, `{{name.arn}}`, or the whole value `%Name%`).
    ///
    /// Deployment tools substitute these before a flow reaches Amazon; Parley loads them as they are and leaves the
    /// run to fail on the value if it was never substituted.
    public static func containsPlaceholder(_ text: String) -> Bool {
        if let open = text.firstRange(of: "${"), text[open.upperBound...].contains("}") { return true }
        if let open = text.firstRange(of: "{{"), text[open.upperBound...].contains("}}") { return true }
        if text.count >= 3, text.hasPrefix("%"), text.hasSuffix("%") {
            return !text.dropFirst().dropLast().contains { $0 == "%" || $0.isWhitespace }
        }
        return false
    }

    /// Scans one reference starting at `start` (which must be `$`); returns its segments and the index after it.
    private static func scan(_ scalars: [Unicode.Scalar], from start: Int) -> ([String], Int)? {
        guard start + 2 < scalars.count, scalars[start] == "$", scalars[start + 1] == ".",
            ("a"..."z").contains(scalars[start + 2]) || ("A"..."Z").contains(scalars[start + 2])
        else { return nil }
        var index = start + 2
        var segments: [String] = []
        while true {
            let nameStart = index
            while index < scalars.count, isNameScalar(scalars[index]) { index += 1 }
            guard index > nameStart else { return nil }
            segments.append(String(String.UnicodeScalarView(scalars[nameStart..<index])))
            while index < scalars.count, scalars[index] == "[" {
                guard let (segment, next) = bracket(scalars, at: index) else { return nil }
                segments.append(segment)
                index = next
            }
            // A dot continues the path only if a name follows it ("$.Attributes.x." ends at the x).
            guard index + 1 < scalars.count, scalars[index] == ".", isNameScalar(scalars[index + 1]) else { break }
            index += 1
        }
        return (segments, index)
    }

    /// `[123]` or `['key']` / `["key"]` at `index`.
    private static func bracket(_ scalars: [Unicode.Scalar], at index: Int) -> (String, Int)? {
        var cursor = index + 1
        guard cursor < scalars.count else { return nil }
        let quote = scalars[cursor]
        if quote == "'" || quote == "\"" {
            cursor += 1
            let keyStart = cursor
            while cursor < scalars.count, scalars[cursor] != quote { cursor += 1 }
            guard cursor > keyStart, cursor + 1 < scalars.count, scalars[cursor + 1] == "]" else { return nil }
            return (String(String.UnicodeScalarView(scalars[keyStart..<cursor])), cursor + 2)
        }
        let digitStart = cursor
        while cursor < scalars.count, ("0"..."9").contains(scalars[cursor]) { cursor += 1 }
        guard cursor > digitStart, cursor < scalars.count, scalars[cursor] == "]" else { return nil }
        return (String(String.UnicodeScalarView(scalars[digitStart..<cursor])), cursor + 1)
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || scalar == "_" || scalar == "-"
    }
}
