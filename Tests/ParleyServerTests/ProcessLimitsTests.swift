import Foundation
import ParleyServer
import Testing

/// `parley serve` lifts its open-files soft limit to the hard limit, so thousands of chat connections fit.
@Suite struct ProcessLimitsTests {
    @Test func theSoftLimitOfOpenFilesIsRaisedToTheHardLimit() throws {
        var lowered = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #expect(getrlimit(resource, &lowered) == 0)
        let hard = lowered.rlim_max
        // Lower the soft limit first (always allowed) so the raise has something to do.
        lowered.rlim_cur = min(lowered.rlim_max, 512)
        #expect(setrlimit(resource, &lowered) == 0)

        let files = try #require(ProcessLimits.raiseOpenFiles())
        #expect(files.before == UInt64(lowered.rlim_cur))
        #expect(files.now == UInt64(hard))
        #expect(files.hard == UInt64(hard))
        var now = rlimit()
        #expect(getrlimit(resource, &now) == 0)
        #expect(now.rlim_cur == hard)
    }
}
