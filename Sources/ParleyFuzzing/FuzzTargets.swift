import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fuzz targets: each feeds arbitrary bytes to one decoder or handler of Parley and checks what must hold.
public enum FuzzTarget: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Bytes as a segment (or two) of the event log: verify, read, recover, append (`FrameDecoderTarget`).
    case frameDecoder = "frame-decoder"
    /// Bytes as one event record: type tag and payload (`EventCodecTarget`).
    case eventCodec = "event-codec"
    /// Bytes as flow JSON: parse, validate and run it (`FlowLoaderTarget`).
    case flowLoader = "flow-loader"
    /// Bytes as an HTTP/1.1 request to the server's routers (`HTTPRequestTarget`).
    case httpRequest = "http-request"

    /// The target's name, as the fuzz executables and regression folders spell it.
    public var description: String { rawValue }
}

/// Something a fuzz target must never see: a broken property, an unintended 5xx answer, a malformed error answer.
///
/// Errors that the code under test throws for bad input are expected and never findings; a trap is a finding that
/// needs no value (the process dies).
public struct FuzzFinding: Error, Sendable, CustomStringConvertible {
    /// The kind of finding; compare with the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// A property that holds for every input did not (a round trip, an agreement between two readers).
        public static let propertyViolated = Code("propertyViolated")
        /// The server answered 5xx where no 5xx is intended.
        public static let serverError = Code("serverError")
        /// An error answer lacks Amazon's shape (`x-amzn-ErrorType` and a JSON body with `message`).
        public static let malformedAnswer = Code("malformedAnswer")
        /// The harness itself could not run (a temporary directory, the server's setup).
        public static let harness = Code("harness")

        /// The code's name.
        public var description: String { name }
    }

    /// The target that found it.
    public var target: FuzzTarget
    /// What kind of finding it is.
    public var code: Code
    /// What went wrong, with the values involved.
    public var message: String

    /// Creates a finding.
    public init(_ target: FuzzTarget, _ code: Code, _ message: String) {
        self.target = target
        self.code = code
        self.message = message
    }

    /// "target: code: message".
    public var description: String { "\(target): \(code): \(message)" }
}

/// The entry points of the fuzz targets: the libFuzzer executables in `Tools/Fuzz` and the regression tests call
/// these. Each returns normally for any input unless it has a finding.
public enum FuzzTargets {
    /// Runs `target` on `bytes`. The synchronous targets run on a global dispatch queue, not on a thread of
    /// Swift's cooperative pool (the frame decoder blocks while the log's writer queue works).
    public static func run(_ target: FuzzTarget, _ bytes: [UInt8]) async throws(FuzzFinding) {
        if target == .httpRequest {
            try await httpRequest(bytes)
            return
        }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<FuzzFinding?, Never>) in
            DispatchQueue.global().async {
                do throws(FuzzFinding) {
                    try runSynchronously(target, bytes)
                    continuation.resume(returning: nil)
                } catch {
                    continuation.resume(returning: error)
                }
            }
        }
        if let result { throw result }
    }

    /// Runs one of the synchronous targets (every target but `.httpRequest`, which does nothing here).
    static func runSynchronously(_ target: FuzzTarget, _ bytes: [UInt8]) throws(FuzzFinding) {
        switch target {
        case .frameDecoder: try frameDecoder(bytes)
        case .eventCodec: try eventCodec(bytes)
        case .flowLoader: try flowLoader(bytes)
        case .httpRequest: break
        }
    }

    /// The frame decoder: `bytes` as a log segment (see `FrameDecoderTarget` for the layout).
    public static func frameDecoder(_ bytes: [UInt8]) throws(FuzzFinding) {
        try FrameDecoderTarget.run(bytes)
    }

    /// The event codec: `bytes` as an event record (see `EventCodecTarget`).
    public static func eventCodec(_ bytes: [UInt8]) throws(FuzzFinding) {
        try EventCodecTarget.run(bytes)
    }

    /// The flow loader: `bytes` as flow JSON (see `FlowLoaderTarget`).
    public static func flowLoader(_ bytes: [UInt8]) throws(FuzzFinding) {
        try FlowLoaderTarget.run(bytes)
    }

    /// HTTP request handling: `bytes` as an HTTP/1.1 request (see `HTTPRequestTarget`).
    public static func httpRequest(_ bytes: [UInt8]) async throws(FuzzFinding) {
        try await HTTPRequestTarget.shared.run(bytes)
    }

    /// The body of `LLVMFuzzerTestOneInput`: runs `target` on the input and traps on a finding, so libFuzzer saves
    /// the input; returns 0 otherwise.
    ///
    /// Blocks the calling thread (libFuzzer's, never one of Swift's cooperative pool) while an async target runs.
    public static func libFuzzerEntry(_ target: FuzzTarget, _ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        let bytes = Array(UnsafeBufferPointer(start: data, count: size))
        let outcome = OutcomeBox()
        if target == .httpRequest {
            let done = DispatchSemaphore(value: 0)
            Task {
                do throws(FuzzFinding) {
                    try await run(target, bytes)
                } catch {
                    outcome.set(error)
                }
                done.signal()
            }
            done.wait()
        } else {
            do throws(FuzzFinding) {
                try runSynchronously(target, bytes)
            } catch {
                outcome.set(error)
            }
        }
        if let finding = outcome.get() {
            FileHandle.standardError.write(Data("FUZZ FINDING: \(finding)\n".utf8))
            abort()
        }
        return 0
    }

    /// A finding handed from the task that ran the target to the thread waiting for it.
    private final class OutcomeBox: Sendable {
        private let finding = Mutex<FuzzFinding?>(nil)
        func set(_ value: FuzzFinding) { finding.withLock { $0 = value } }
        func get() -> FuzzFinding? { finding.withLock { $0 } }
    }
}

/// With `PARLEY_FUZZ_VERBOSE` set, the targets say on standard error what each input did (for replaying one).
enum Verbose {
    static let enabled = getenv("PARLEY_FUZZ_VERBOSE") != nil

    static func say(_ text: @autoclosure () -> String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data((text() + "\n").utf8))
    }
}

/// Scratch directories for the targets that need files: under `PARLEY_FUZZ_TMPDIR`, else `/dev/shm` (memory), else
/// the system's temporary directory; each is removed by its user.
enum ScratchDirectory {
    /// The folder scratch directories are made in.
    static let root: String = {
        if let configured = getenv("PARLEY_FUZZ_TMPDIR").map({ String(cString: $0) }), !configured.isEmpty {
            return configured
        }
        if access("/dev/shm", W_OK) == 0 { return "/dev/shm" }
        if let temporary = getenv("TMPDIR").map({ String(cString: $0) }), !temporary.isEmpty { return temporary }
        return "/tmp"
    }()

    private static let counter = Atomic<Int>(0)

    /// Creates a fresh, empty directory named after `purpose`, this process and a counter.
    static func make(_ purpose: String) -> String? {
        let number = counter.add(1, ordering: .relaxed).newValue
        let path = "\(root)/parley-fuzz-\(purpose)-\(getpid())-\(number)"
        remove(path)
        return mkdir(path, 0o700) == 0 ? path : nil
    }

    /// Removes `path` and everything under it.
    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}
