import Foundation
import ParleyFuzzing
import Testing

/// Runs every fuzz target over its regression inputs (`Tools/Fuzz/regressions/<target>`: inputs that once found a
/// bug), its hand-written seeds (`Tools/Fuzz/seeds/<target>`), its generated seeds and, for the flow loader, the
/// real flow exports in `../shared/corpus/flows`, so that fixed findings stay fixed without the fuzzer build.
@Suite(.serialized)
struct FuzzRegressionTests {
    /// The repository's `Tools/Fuzz`.
    static let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tools/Fuzz")

    /// The real flow exports next to the repository.
    static let flowCorpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/corpus/flows").standardizedFileURL

    /// The files directly in `folder`, sorted by name; none when it does not exist.
    static func files(in folder: URL) -> [(name: String, bytes: [UInt8])] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else {
                return nil
            }
            return (name, Array(data))
        }
    }

    /// Every input of `target` except the generated seeds.
    static func inputs(_ target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
        var inputs = files(in: fuzzFolder.appendingPathComponent("regressions/\(target)"))
        inputs += files(in: fuzzFolder.appendingPathComponent("seeds/\(target)"))
        if target == .flowLoader { inputs += files(in: flowCorpus).filter { $0.name.hasSuffix(".json") } }
        return inputs
    }

    @Test(arguments: FuzzTarget.allCases)
    func regressionsAndSeedsFindNothing(_ target: FuzzTarget) async throws {
        let inputs = Self.inputs(target) + FuzzSeeds.generate(target)
        for (name, bytes) in inputs {
            do throws(FuzzFinding) {
                try await FuzzTargets.run(target, bytes)
            } catch {
                Issue.record("\(target) input \(name): \(error)")
            }
        }
        if target == .httpRequest { await HTTPRequestTarget.shared.shutdown() }
        #expect(!inputs.isEmpty)
    }

    @Test func generatedSeedsCoverEveryTargetButHTTP() {
        for target in FuzzTarget.allCases where target != .httpRequest {
            #expect(!FuzzSeeds.generate(target).isEmpty, "\(target)")
        }
        #expect(FuzzSeeds.generate(.eventCodec).count >= 15)
    }
}
