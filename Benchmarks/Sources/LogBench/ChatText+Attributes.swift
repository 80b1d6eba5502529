import BenchChat
import ParleyDomain

extension ChatText {
    /// 2–5 attributes a contact starts with (language, tier, customer id, entry point, country).
    static func startAttributes(using random: inout SplitMix64) -> [ContactAttribute] {
        var attributes = [
            ContactAttribute(
                key: "language",
                value: ["en-US", "en-GB", "de-DE", "fr-FR", "es-ES"].randomElement(using: &random)!
            ),
            ContactAttribute(
                key: "tier",
                value: ["bronze", "silver", "gold", "platinum"].randomElement(using: &random)!
            ),
        ]
        let optional = [
            ContactAttribute(key: "customerId", value: "C\(Int.random(in: 10_000_000...99_999_999, using: &random))"),
            ContactAttribute(
                key: "entryPoint",
                value: ["web-widget", "mobile-app", "help-center"].randomElement(using: &random)!
            ),
            ContactAttribute(
                key: "country",
                value: ["US", "GB", "DE", "FR", "ES", "CA"].randomElement(using: &random)!
            ),
        ]
        attributes += optional.prefix(Int.random(in: 0...3, using: &random))
        return attributes
    }

    /// 2–4 attributes a flow or agent sets during a chat (intent, sentiment, case, priority, order).
    static func updateAttributes(using random: inout SplitMix64) -> [ContactAttribute] {
        let all = [
            ContactAttribute(
                key: "intent",
                value: ["OrderStatus", "Refund", "BillingQuestion", "PasswordReset", "ChangeAddress", "Cancel"]
                    .randomElement(using: &random)!
            ),
            ContactAttribute(
                key: "sentiment",
                value: ["POSITIVE", "NEUTRAL", "NEGATIVE", "MIXED"].randomElement(using: &random)!
            ),
            ContactAttribute(key: "caseId", value: "CASE-\(Int.random(in: 1_000_000...9_999_999, using: &random))"),
            ContactAttribute(key: "priority", value: String(Int.random(in: 1...5, using: &random))),
            ContactAttribute(
                key: "orderNumber",
                value: "\(Int.random(in: 1000...9999, using: &random))-\(Int.random(in: 1000...9999, using: &random))"
            ),
        ]
        let start = Int.random(in: 0...1, using: &random)
        return Array(all[start..<start + Int.random(in: 2...4, using: &random)])
    }
}
