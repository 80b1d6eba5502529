#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process-wide resource limits a server holding thousands of connections needs.
public enum ProcessLimits {
    /// The soft and hard limits of open file descriptors, before and after `raiseOpenFiles`.
    public struct OpenFiles: Sendable, Equatable {
        /// The soft limit before the call.
        public var before: UInt64
        /// The soft limit now.
        public var now: UInt64
        /// The hard limit (the most an unprivileged process may raise its soft limit to).
        public var hard: UInt64
    }

    /// Raises this process's soft limit of open files to its hard limit (children inherit it); nil if it can't be read.
    ///
    /// Each chat's websocket and each HTTP keep-alive connection holds a descriptor, and the common default soft limit
    /// (1024) would refuse connections at about a thousand chats although the hard limit allows far more.
    public static func raiseOpenFiles() -> OpenFiles? {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return nil }
        let before = UInt64(limit.rlim_cur)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(resource, &limit)
            _ = getrlimit(resource, &limit)
        }
        return OpenFiles(before: before, now: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }
}
