import ParleyDomain

/// Message texts and names for the generated chats: fragments of what customers and agents write, with numbers and
/// names filled in, so that texts repeat about as much as real chat does (phrases recur, order numbers don't).
public enum ChatText {
    public static let customerFragments: [String] = [
        "Hi, I need help with my order #.",
        "My package was supposed to arrive on @ but it still hasn't shown up.",
        "I was charged $ twice for the same order.",
        "Can you tell me where my refund is? I returned the % two weeks ago.",
        "The tracking page says delivered but there is nothing at my door.",
        "I'd like to change the delivery address for order #.",
        "The % I received is damaged, the box was crushed.",
        "How long does a replacement usually take?",
        "I tried to reset my password but the email never came.",
        "Yes, that's the right address.",
        "Thanks, that helps a lot!",
        "Is there any way to speed this up? I need it before @.",
        "I already tried restarting it twice.",
        "Can I get a discount code for the trouble?",
        "It's order #, placed on @.",
        "The app keeps logging me out when I open my account page.",
        "Could you cancel the subscription that renews on @?",
        "OK, I'll wait.",
        "Sorry, I was away for a minute.",
        "Do you need the serial number of the %?",
        "My card ending in & was declined but the money left my account.",
        "I want to return the % I bought last week.",
    ]

    public static let agentFragments: [String] = [
        "Thanks for contacting us, my name is ^ and I'll be helping you today.",
        "I'm sorry to hear that, let me look into order # for you.",
        "Could you confirm the email address on the account?",
        "I can see the order was shipped on @ with the carrier.",
        "I've issued a refund of $, it should show up within 3-5 business days.",
        "One moment please while I check with the warehouse.",
        "I've updated the delivery address for you.",
        "A replacement % will ship today at no cost.",
        "Is there anything else I can help you with?",
        "I've sent a password reset link, please check your spam folder too.",
        "I understand, and I apologize for the inconvenience.",
        "Your case number is #, you can reference it if you contact us again.",
        "I've applied a $ credit to your account.",
        "The subscription is cancelled, you won't be charged on @.",
        "Thanks for your patience!",
        "Let me transfer you to our billing team who can help with that.",
        "Could you send a photo of the damaged %?",
        "The charge ending in & was a pre-authorization and will drop off.",
    ]

    public static let systemFragments: [String] = [
        "Thanks for contacting us. An agent will be with you shortly.",
        "All of our agents are busy right now, please stay in this chat.",
        "You can also track your order at any time in the app under My Orders.",
        "This chat may be recorded for quality and training purposes.",
        "Our support hours are 7am to 10pm, seven days a week.",
    ]

    public static let products = [
        "blender", "headphones", "coffee maker", "desk lamp", "running shoes", "backpack", "phone case",
        "air fryer", "monitor", "keyboard", "winter jacket", "vacuum cleaner",
    ]
    public static let dates = [
        "Monday", "Tuesday", "Friday", "March 3", "the 14th", "next week", "June 21", "the weekend", "October 9",
    ]
    public static let customerNames = [
        "Ana", "Bo", "Chen Wei", "Dmitri", "Emma", "Fatima", "Gustavo", "Hana", "Ivan", "Jamal", "Keiko", "Lucia",
        "Mohammed", "Nora", "Oliver", "Priya", "Customer",
    ]
    public static let agentNames = [
        "Sam", "Alex", "Jordan", "Taylor", "Morgan", "Riley", "Casey", "Jamie", "Avery", "Quinn", "Rowan", "Skyler",
    ]
    public static let queues = ["BasicQueue", "Orders", "Billing", "Returns-EN", "Premium-Support", "Tech-Support-L2"]
    public static let endReasons = ["CUSTOMER_DISCONNECT", "AGENT_DISCONNECT", "IDLE_TIMEOUT", "EXPIRED"]

    /// A message of 60–120 characters built from `fragments`.
    public static func message(_ fragments: [String], agentName: String, using random: inout SplitMix64) -> String {
        let target = Int.random(in: 60...120, using: &random)
        var text = ""
        while text.count < target {
            let fragment = fill(fragments.randomElement(using: &random)!, agentName: agentName, using: &random)
            if !text.isEmpty && text.count + 1 + fragment.count > 120 {
                if text.count >= 60 { break }
                continue
            }
            text += text.isEmpty ? fragment : " " + fragment
        }
        return text
    }

    /// Replaces the placeholders: `#` order or case number, `@` date, `$` amount, `%` product, `&` card digits,
    /// `^` the agent's name.
    private static func fill(_ fragment: String, agentName: String, using random: inout SplitMix64) -> String {
        var out = ""
        out.reserveCapacity(fragment.utf8.count + 16)
        for character in fragment {
            switch character {
            case "#":
                out += "\(Int.random(in: 1000...9999, using: &random))-\(Int.random(in: 1000...9999, using: &random))"
            case "@": out += dates.randomElement(using: &random)!
            case "$": out += "$\(Int.random(in: 5...480, using: &random)).\(Int.random(in: 10...99, using: &random))"
            case "%": out += products.randomElement(using: &random)!
            case "&": out += String(Int.random(in: 1000...9999, using: &random))
            case "^": out += agentName
            default: out.append(character)
            }
        }
        return out
    }
}
