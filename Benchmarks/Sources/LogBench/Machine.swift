import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What the benchmark ran on, printed above the table: figures mean little without it.
struct MachineInfo {
    /// CPU model name.
    var cpu = "unknown CPU"
    /// Online logical CPUs.
    var cores = 0
    /// Kernel release.
    var kernel = ""
    /// File system type and device of the scratch directory.
    var fileSystem = ""
    /// 1-minute load average when the run started.
    var loadAverage = 0.0
    /// SQLite library version.
    var sqliteVersion = ""

    /// Reads the facts for a run whose files live in `scratch`.
    static func current(scratch: String) -> MachineInfo {
        var info = MachineInfo()
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let colon = line.firstIndex(of: ":")
        {
            info.cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        info.cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var names = utsname()
        uname(&names)
        info.kernel = withUnsafeBytes(of: names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        info.fileSystem = mountFor(scratch)
        info.loadAverage = loadAverageNow()
        info.sqliteVersion = SQLiteConnection.libraryVersion
        return info
    }

    /// The 1-minute load average.
    static func loadAverageNow() -> Double {
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) > 0 ? loads[0] : 0
    }

    /// "ext4 on /dev/vda" for the mount holding `path`.
    private static func mountFor(_ path: String) -> String {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return "" }
        var best = ("", "")
        var bestLength = -1
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let point = String(fields[1])
            let matches = path == point || path.hasPrefix(point.hasSuffix("/") ? point : point + "/")
            if matches && point.count > bestLength {
                bestLength = point.count
                best = (String(fields[2]), String(fields[0]))
            }
        }
        return best.0.isEmpty ? "" : "\(best.0) on \(best.1)"
    }
}
