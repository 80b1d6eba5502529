import BenchChat
import Foundation

/// Runs every workload of the plan, Parley and its database peers (SQLite; PostgreSQL for append and replay) side
/// by side, and collects one report.
struct BenchmarkRun {
    /// Sizes and repetitions.
    let plan: RunPlan
    /// Where the files go.
    let scratch: Scratch
    /// The report being built.
    var report = Report()
    /// Size and median recovery time of the replay log, set beside the big log's.
    var smallLogRecovery: (bytes: Int64, seconds: Double)?
    /// The generated events every workload writes.
    let pool: EventPool
    /// The chat domain's workloads (engine commands, domain replay and decode).
    let domain = DomainWorkloads(messages: ChatMessages())
    /// The PostgreSQL peer's server while it runs (nil when it is not a peer or could not start).
    var postgresServer: PostgresServer?
    private let started = ContinuousClock.now

    /// A run of `plan` with its files in `scratch`; generates the events.
    init(plan: RunPlan, scratch: Scratch) {
        self.plan = plan
        self.scratch = scratch
        Self.progress("generating \(plan.poolEvents) chat events")
        pool = EventPool(count: plan.poolEvents)
    }

    /// The log's workloads.
    var parley: ParleyWorkloads { ParleyWorkloads(pool: pool) }
    /// SQLite's workloads.
    var sqlite: SQLiteWorkloads { SQLiteWorkloads(pool: pool) }
    /// Whether SQLite is a peer of the append and replay phases.
    var measuresSQLite: Bool { plan.peers.contains("sqlite") }
    /// PostgreSQL's workloads, when its server runs.
    var postgres: PostgresWorkloads? { postgresServer.map { PostgresWorkloads(pool: pool, server: $0) } }

    /// Runs everything and returns the report.
    mutating func run() async throws -> Report {
        let machine = MachineInfo.current(scratch: scratch.root)
        report.header.append(
            "machine: \(machine.cores) × \(machine.cpu), Linux \(machine.kernel), files on \(machine.fileSystem), "
                + "SQLite \(machine.sqliteVersion); load average \(Numbers.fixed(machine.loadAverage, 2)) at start"
        )
        report.header.append(describeEvents())
        if plan.peers.contains("postgres") && !plan.phases.isDisjoint(with: ["append", "replay"]) {
            startPostgres()
        }
        defer { stopPostgres() }
        if plan.phases.contains("append") {
            try probeDisk(when: "before")
            try await appends()
            try probeDisk(when: "after the append runs")
        }
        if plan.phases.contains("replay") { try await replayAndSizes() }
        if plan.phases.contains("recovery") { try await recoveryAndVerify() }
        if plan.phases.contains("engine-commands") { try await engineCommands() }
        if !plan.phases.isDisjoint(with: ["domain-replay", "domain-decode"]) { try await domainReplayAndDecode() }
        if plan.phases.contains("startup") { try await startup() }
        if plan.phases.contains("startup-large") { try await startupLarge() }
        if plan.phases.contains("api") { try await api() }
        report.header.append(
            "load average \(Numbers.fixed(MachineInfo.loadAverageNow(), 2)) at the end; the run took "
                + Numbers.seconds(started.duration(to: .now).seconds)
        )
        return report
    }

    /// Starts the PostgreSQL peer's server in the scratch directory; if it cannot start, says so once and leaves
    /// the peer's column at "—".
    private mutating func startPostgres() {
        report.showsPostgres = true
        Self.progress("starting PostgreSQL (initdb, pg_ctl start on 127.0.0.1)")
        do {
            postgresServer = try PostgresServer(directory: try scratch.freshDirectory("postgres"))
            if let postgres { report.header.append(try postgres.describeServer()) }
        } catch {
            Self.progress("PostgreSQL peer unavailable, its column shows —: \(error)")
            report.header.append("PostgreSQL peer unavailable, its column shows —: \(error)")
        }
    }

    /// Stops the PostgreSQL peer's server and deletes its files.
    private mutating func stopPostgres() {
        guard let server = postgresServer else { return }
        Self.progress("stopping PostgreSQL")
        server.stop()
        scratch.remove(server.directory)
        postgresServer = nil
    }

    /// Runs one PostgreSQL workload; a failure is reported (progress line and details) and gives nil, so that the
    /// peer's cell shows "—" and the run goes on.
    mutating func measurePostgres<T>(_ what: String, _ body: (PostgresWorkloads) async throws -> T) async -> T? {
        guard let postgres else { return nil }
        do {
            return try await body(postgres)
        } catch {
            Self.progress("PostgreSQL \(what) failed: \(error)")
            report.details.append("PostgreSQL \(what) failed: \(error)")
            return nil
        }
    }

    /// The record sizes and the mix of the generated events.
    private func describeEvents() -> String {
        let names = [
            1: "started", 2: "joined", 3: "message", 4: "typing/receipt", 5: "attributes", 6: "transfer",
            7: "left", 8: "ended",
        ]
        let mix = pool.typeShares.map { "\(names[Int($0.type)] ?? "?") \(Numbers.fixed($0.share * 100, 0))%" }
        return
            "events: \(pool.count) distinct generated chat events, binary \(Numbers.fixed(pool.meanBinaryBytes, 1)) B "
            + "(+14 B record header in the log), JSON line \(Numbers.fixed(pool.meanJSONBytes, 1)) B on average; "
            + "mix: " + mix.joined(separator: ", ")
    }

    /// fdatasync rate of 4 KiB writes, appending and overwriting: the ceiling of durable appends.
    private mutating func probeDisk(when: String) throws {
        Self.progress("probing fdatasync (\(when))")
        let directory = try scratch.freshDirectory("probe")
        defer { scratch.remove(directory) }
        let append = try DiskProbe.run(directory: directory, duration: plan.probeSeconds, preallocated: false)
        let overwrite = try DiskProbe.run(directory: directory, duration: plan.probeSeconds, preallocated: true)
        func describe(_ result: DiskProbe.Result) -> String {
            "\(Numbers.rate(result.syncsPerSecond)) (p50 \(Numbers.seconds(result.p50)), p99 \(Numbers.seconds(result.p99)))"
        }
        report.header.append(
            "disk \(when): 4 KiB write + fdatasync appending to a file \(describe(append)); "
                + "overwriting a preallocated file \(describe(overwrite))"
        )
    }

    /// Prints a progress line on standard error (standard output carries only the report).
    static func progress(_ message: String) {
        FileHandle.standardError.write(Data(("log-bench: " + message + "\n").utf8))
    }
}
