// swift-tools-version:6.1
import PackageDescription

// The log benchmarks: a package of their own so that neither SQLite, libpq nor the benchmark code is part of the main
// package's graph. Run with `make bench` (`swift run -c release --package-path Benchmarks log-bench`).
let package = Package(
    name: "ParleyBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Parley", path: "../"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        // SQLite from the system (Debian: libsqlite3-dev), the peer the log is measured against.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"]), .brew(["sqlite"])]
        ),
        // libpq from the system (Debian: libpq-dev), the client of the PostgreSQL peer.
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // Prints one table: append, replay, size, recovery and verify figures of the log next to SQLite (and to
        // PostgreSQL for append and replay), and the chat domain's figures (commands through the engine, domain replay
        // and decode).
        .executableTarget(
            name: "log-bench",
            dependencies: [
                "CSQLite",
                "CPostgres",
                .product(name: "EventLog", package: "Parley"),
                .product(name: "ParleyDomain", package: "Parley"),
                .product(name: "ParleyEngine", package: "Parley"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/LogBench"
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
