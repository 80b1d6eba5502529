/// A target from the issue, and whether a figure meets it.
enum Target {
    /// The figure must be at least this.
    case atLeast(Double)
    /// The figure must be at most this.
    case atMost(Double)

    /// "met", or by how much the figure misses.
    func verdict(_ value: Double) -> String {
        switch self {
        case .atLeast(let goal):
            value >= goal ? "met" : "MISSED: \(Numbers.fixed(100 * value / goal, 0))% of target"
        case .atMost(let limit):
            value <= limit ? "met" : "MISSED: \(Numbers.ratio(value / limit)) the limit"
        }
    }
}

/// One line of the results table.
struct ReportRow {
    /// What is measured.
    var figure: String
    /// The target, as text ("" when there is none).
    var target = ""
    /// The log's figure.
    var parley: String
    /// The peer's figure for the same workload: SQLite's unless the figure names another ("—" when there is no
    /// like-for-like peer).
    var sqlite = "—"
    /// How many times better the log is than the peer (higher rate, or smaller size or time).
    var ratio = ""
    /// Whether the target is met.
    var verdict = ""
    /// PostgreSQL's figure for the same workload ("—" when it was not measured).
    var postgres = "—"
    /// How many times better the log is than PostgreSQL.
    var postgresRatio = ""
}

/// The table the benchmark prints, plus the facts and details around it.
struct Report {
    /// Lines printed above the table (machine, sizes).
    var header: [String] = []
    /// The table.
    var rows: [ReportRow] = []
    /// Lines printed below the table (frames and fsyncs per event, latencies, checks).
    var details: [String] = []
    /// Whether the table has the PostgreSQL columns.
    var showsPostgres = false

    /// The report as aligned plain text, or as Markdown for docs/performance.md.
    func render(markdown: Bool) -> String {
        var titles = ["figure", "target", "Parley", "peer (SQLite unless named)", "ratio", "verdict"]
        var cells = rows.map { [$0.figure, $0.target, $0.parley, $0.sqlite, $0.ratio, $0.verdict] }
        if showsPostgres {
            titles.insert(contentsOf: ["PostgreSQL", "ratio to PostgreSQL"], at: 5)
            for (index, row) in rows.enumerated() {
                cells[index].insert(contentsOf: [row.postgres, row.postgresRatio], at: 5)
            }
        }
        var lines: [String] = []
        lines += header.map { markdown ? "- " + $0 : $0 }
        lines.append("")
        if markdown {
            lines.append("| " + titles.joined(separator: " | ") + " |")
            lines.append("|" + titles.map { _ in "---" }.joined(separator: "|") + "|")
            for row in cells { lines.append("| " + row.joined(separator: " | ") + " |") }
        } else {
            var widths = titles.map(\.count)
            for row in cells {
                for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
            }
            func line(_ row: [String]) -> String {
                zip(row, widths).map { $0 + String(repeating: " ", count: $1 - $0.count) }.joined(separator: "  ")
            }
            lines.append(line(titles))
            lines.append(line(widths.map { String(repeating: "-", count: $0) }))
            for row in cells { lines.append(line(row)) }
        }
        lines.append("")
        lines += details.map { markdown ? "- " + $0 : $0 }
        return lines.joined(separator: "\n")
    }
}
