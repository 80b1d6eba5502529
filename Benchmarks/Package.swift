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
        // The api phase: its own HTTP/1.1 load client on NIO, and websocket subscribers.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
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
                "BenchChat",
                "CSQLite",
                "CPostgres",
                .product(name: "EventLog", package: "Parley"),
                .product(name: "ParleyDomain", package: "Parley"),
                .product(name: "ParleyEngine", package: "Parley"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // The api phase: the server it runs as a child process, its load client and websocket subscribers.
                .product(name: "ParleyServer", package: "Parley"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/LogBench"
        ),
        // The chat clients both executables drive the engine with: the set-up, whole chats, their texts.
        .target(
            name: "BenchChat",
            dependencies: [
                .product(name: "EventLog", package: "Parley"),
                .product(name: "ParleyDomain", package: "Parley"),
                .product(name: "ParleyEngine", package: "Parley"),
            ],
            path: "Sources/BenchChat"
        ),
        // Replays a kept chat log, or runs a fixed amount of chat commands through the engine, and nothing else, for
        // callgrind and perf.
        .executableTarget(
            name: "replay-profile",
            dependencies: [
                "BenchChat",
                .product(name: "ParleyDomain", package: "Parley"),
                .product(name: "ParleyEngine", package: "Parley"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/ReplayProfile"
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
