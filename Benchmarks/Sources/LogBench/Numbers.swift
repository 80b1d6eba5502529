/// Short human forms of the figures in the report.
enum Numbers {
    /// `987`, `12.3 K`, `1.23 M`.
    static func count(_ value: Double) -> String {
        switch abs(value) {
        case 1e6...: fixed(value / 1e6, 2) + " M"
        case 1e4...: fixed(value / 1e3, 1) + " K"
        case 1e3...: fixed(value / 1e3, 2) + " K"
        default: fixed(value, value < 10 ? 2 : 0)
        }
    }

    /// `1.23 M/s`.
    static func rate(_ value: Double) -> String { count(value) + "/s" }

    /// `12.3 ms`, `850 µs`, `1.24 s`.
    static func seconds(_ value: Double) -> String {
        switch value {
        case 1...: fixed(value, 2) + " s"
        case 0.01...: fixed(value * 1e3, 1) + " ms"
        case 0.001...: fixed(value * 1e3, 2) + " ms"
        default: fixed(value * 1e6, 0) + " µs"
        }
    }

    /// `2.67×`.
    static func ratio(_ value: Double) -> String { fixed(value, value >= 10 ? 1 : 2) + "×" }

    /// `131.4 B`, `1.07 GB` (decimal units).
    static func bytes(_ value: Double) -> String {
        switch value {
        case 1e9...: fixed(value / 1e9, 2) + " GB"
        case 1e6...: fixed(value / 1e6, 1) + " MB"
        case 1e4...: fixed(value / 1e3, 1) + " kB"
        default: fixed(value, 1) + " B"
        }
    }

    /// `value` with `digits` digits after the point.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "n/a" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        var text = (value < 0 && scaled != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let digitsText = String(fraction)
            text += "." + String(repeating: "0", count: digits - digitsText.count) + digitsText
        }
        return text
    }
}
