// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Parley",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .library(name: "EventLog", targets: ["EventLog"]),
        .library(name: "ParleyDomain", targets: ["ParleyDomain"]),
        .library(name: "ParleyEngine", targets: ["ParleyEngine"]),
        .library(name: "ParleyServer", targets: ["ParleyServer"]),
        // The fuzz targets' entry points, for the libFuzzer executables in Tools/Fuzz (a package of its own).
        .library(name: "ParleyFuzzing", targets: ["ParleyFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // The load generator's (Tools/LoadGen) HTTP client and latency histograms; nothing the server links.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // liblz4 from the system (Debian: liblz4-dev), wrapped by `LZ4Block` in EventLog.
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]
        ),
        // CRC-32C with the SSE4.2 instruction when the CPU has it, and a portable table fallback.
        .target(name: "CParleyCRC32C"),
        // The append-only, LZ4-compressed, hash-chained segment log. No networking.
        .target(
            name: "EventLog",
            dependencies: [
                "CLZ4",
                "CParleyCRC32C",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Chat domain: events and their compact binary codec. Pure: no I/O, no clock, no randomness of its own.
        .target(
            name: "ParleyDomain",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "HashTreeCollections", package: "swift-collections"),
            ]
        ),
        // The single serial writer: decides commands, group-commits their events, publishes snapshots, fires timers.
        .target(name: "ParleyEngine", dependencies: ["EventLog", "ParleyDomain"]),
        // The `parley` command implementations; the executable only calls into this.
        .target(
            name: "ParleyCLI",
            dependencies: [
                "EventLog",
                "ParleyDomain",
                "ParleyEngine",
                "ParleyServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Side effects the engine's commands ask for (Lambda calls over HTTP), performed outside the writer.
        .target(name: "ParleyEffects", dependencies: ["ParleyEngine", "ParleyDomain"]),
        // The server: the engine, the effect runners and the HTTP listeners (TCP and the local query socket) as
        // services under one ServiceGroup.
        .target(
            name: "ParleyServer",
            dependencies: [
                "EventLog",
                "ParleyDomain",
                "ParleyEffects",
                "ParleyEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The fuzz targets (docs/reliability.md): frame decoder, event codec, flow loader, HTTP request handling. Plain
        // Swift, so the regression tests run them without the fuzzer; Tools/Fuzz wraps each in a libFuzzer executable.
        .target(
            name: "ParleyFuzzing",
            dependencies: [
                "EventLog",
                "ParleyDomain",
                "ParleyEngine",
                "ParleyServer",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "parley", dependencies: ["ParleyCLI"]),
        // `parley-load`: simulated customers and agents over the real HTTP API and websockets (docs/reliability.md).
        .executableTarget(
            name: "parley-load",
            dependencies: [
                // For `SigV4Signer` only (the control plane's requests are signed as the AWS SDKs sign them).
                "ParleyServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Tools/LoadGen"
        ),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "CParleyCRC32C", "CLZ4"]),
        .testTarget(name: "ParleyCLITests", dependencies: ["EventLog", "parley", "parley-load"]),
        .testTarget(
            name: "ParleyDomainTests",
            dependencies: [
                "ParleyDomain", "ParleyEngine", "EventLog",
                .product(name: "HashTreeCollections", package: "swift-collections"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "ParleyEffectsTests", dependencies: ["ParleyEffects", "ParleyEngine", "ParleyDomain"]),
        .testTarget(name: "ParleyEngineTests", dependencies: ["ParleyEngine", "ParleyDomain", "EventLog"]),
        .testTarget(name: "ParleyFuzzingTests", dependencies: ["ParleyFuzzing", "ParleyDomain", "EventLog"]),
        .testTarget(
            name: "ParleyServerTests",
            dependencies: [
                "EventLog",
                "ParleyDomain",
                "ParleyEngine",
                "ParleyServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system && target.name != "CParleyCRC32C" {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
