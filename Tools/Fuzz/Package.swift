// swift-tools-version:6.1
import PackageDescription

// The libFuzzer executables (docs/reliability.md), one per fuzz target of the main package's ParleyFuzzing library.
// A package of its own because everything in it is built with `-sanitize=fuzzer`; `Tools/fuzz.sh` builds and runs
// them (`make fuzz-smoke` in `make test`, `make fuzz` for long runs).
let package = Package(
    name: "ParleyFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Parley", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "fuzz-frame-decoder",
            dependencies: [.product(name: "ParleyFuzzing", package: "Parley")]
        ),
        .executableTarget(name: "fuzz-event-codec", dependencies: [.product(name: "ParleyFuzzing", package: "Parley")]),
        .executableTarget(name: "fuzz-flow-loader", dependencies: [.product(name: "ParleyFuzzing", package: "Parley")]),
        .executableTarget(
            name: "fuzz-http-request",
            dependencies: [.product(name: "ParleyFuzzing", package: "Parley")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
