import ParleyFuzzing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libFuzzer's entry points for the event-codec target (built with -sanitize=fuzzer; see Tools/fuzz.sh).

/// With `PARLEY_FUZZ_SEED_DIR` set, writes the target's generated seeds there before libFuzzer reads its corpora.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    if let directory = getenv("PARLEY_FUZZ_SEED_DIR") {
        FuzzSeeds.write(.eventCodec, to: String(cString: directory))
    }
    return 0
}

/// Runs the target on one input; a finding aborts, so libFuzzer keeps the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.libFuzzerEntry(.eventCodec, data, size)
}
