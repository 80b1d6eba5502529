import EventLog
import Foundation
import Testing

/// A small two-segment log, captured byte for byte, that every crash case starts from.
private struct PristineLog: Sendable {
    var files: [String: [UInt8]]
    var frames: [FrameInfo]
    var records: [StoredRecord]
    var segments: [String]

    static let options: EventLogOptions = {
        var options = EventLogOptions()
        options.segmentSize = 2400
        options.frameTargetBytes = 4096
        options.indexIntervalBytes = 400
        options.durability = .always
        return options
    }()

    /// The same layout without fsyncs, for the thousands of cases run against copies.
    static let caseOptions: EventLogOptions = {
        var options = PristineLog.options
        options.durability = .none
        return options
    }()

    static func make() async throws -> PristineLog {
        let directory = TemporaryDirectory("pristine")
        let log = try EventLog.open(dataDirectory: directory.path, options: options)
        var sequence: UInt64 = 1
        for append in 0..<14 {
            let records = (0..<4).map { offset in
                LogRecord(
                    timestamp: 1_000 + Int64(append * 10 + offset),
                    type: UInt16(append),
                    payload: payload(for: sequence + UInt64(offset))
                )
            }
            _ = try await log.append(records)
            sequence += 4
        }
        await log.close()
        var frames: [FrameInfo] = []
        let reader = try LogReader.open(dataDirectory: directory.path)
        try reader.forEachFrame { frames.append($0) }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.logPath).filter {
            $0.hasSuffix(".seg") || $0.hasSuffix(".idx")
        }
        var files: [String: [UInt8]] = [:]
        for name in names { files[name] = try readFile(directory.logFile(name)) }
        return PristineLog(
            files: files,
            frames: frames,
            records: try reader.records(),
            segments: try segmentNames(directory)
        )
    }

    func frames(in segment: String) -> [FrameInfo] { frames.filter { $0.segment == segment } }

    /// The frame covering byte `offset` of `segment`, if any.
    func frame(in segment: String, at offset: Int64) -> FrameInfo? {
        frames(in: segment).first { offset >= $0.offset && offset < $0.offset + Int64($0.header.frameLength) }
    }
}

/// Where damage must be reported.
private struct DamageLocation {
    var segment: String
    var offset: Int64
    var sequence: UInt64

    func matches(_ error: EventLogError?) -> Bool {
        guard let error else { return false }
        return error.segment == segment && error.offset == offset && error.sequence == sequence
            && error.code != .tornTail && error.code != .io
    }
}

/// Runs one damaged copy of the pristine log through open, read and verify.
private struct CrashCase {
    let directory: TemporaryDirectory
    let pristine: PristineLog

    /// Writes `files` as the log directory's whole content.
    func install(_ files: [String: [UInt8]]) throws {
        let manager = FileManager.default
        try? manager.removeItem(atPath: directory.logPath)
        try manager.createDirectory(atPath: directory.logPath, withIntermediateDirectories: true)
        for (name, bytes) in files { try writeFile(directory.logFile(name), bytes) }
    }

    /// A tail case: open must cut exactly the frames from `lostFrom` on and keep every earlier record.
    func expectTornTailRecovered(
        lostFrom frame: FrameInfo,
        fileLength: Int64,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let log = try EventLog.open(dataDirectory: directory.path, options: PristineLog.caseOptions)
        let report = try #require(log.recovery, sourceLocation: sourceLocation)
        #expect(report.segment == frame.segment, sourceLocation: sourceLocation)
        #expect(report.offset == frame.offset, sourceLocation: sourceLocation)
        #expect(report.bytesTruncated == fileLength - frame.offset, sourceLocation: sourceLocation)
        #expect(report.firstLostSequence == frame.header.firstSequence, sourceLocation: sourceLocation)
        let kept = pristine.records.filter { $0.sequence < frame.header.firstSequence }
        #expect(try log.reader().records() == kept, sourceLocation: sourceLocation)
        // The log continues where the intact part ends.
        let receipt = try await log.append([LogRecord(timestamp: 5_000, payload: [42])])
        #expect(receipt.firstSequence == frame.header.firstSequence, sourceLocation: sourceLocation)
        await log.close()
        let verify = try LogInspector.verify(dataDirectory: directory.path)
        #expect(verify.intact, "\(String(describing: verify.problem))", sourceLocation: sourceLocation)
    }

    /// A mid-log case: open refuses naming the frame, or (damage outside the scanned tail) opens and every full
    /// read and verify names the frame. Nothing is truncated either way.
    func expectMidLogDamage(
        segment: String,
        offset: Int64,
        sequence: UInt64,
        installed: [String: [UInt8]],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let location = DamageLocation(segment: segment, offset: offset, sequence: sequence)
        var openError: EventLogError?
        var readError: EventLogError?
        do {
            let log = try EventLog.open(dataDirectory: directory.path, options: PristineLog.caseOptions)
            #expect(log.recovery == nil, sourceLocation: sourceLocation)
            do { _ = try log.reader().records() } catch { readError = error as? EventLogError }
            await log.close()
        } catch {
            openError = error
        }
        if let openError {
            #expect(location.matches(openError), "open: \(openError)", sourceLocation: sourceLocation)
        } else {
            #expect(
                location.matches(readError),
                "read: \(String(describing: readError))",
                sourceLocation: sourceLocation
            )
        }
        let verify = try LogInspector.verify(dataDirectory: directory.path)
        #expect(
            location.matches(verify.problem),
            "verify: \(String(describing: verify.problem))",
            sourceLocation: sourceLocation
        )
        // Nothing of the damaged segment may change; only the writer's own trailing zeros may be trimmed.
        let segmentNow = try readFile(directory.logFile(segment))
        let installedBytes = installed[segment] ?? []
        let unchanged =
            installedBytes.starts(with: segmentNow)
            && installedBytes[segmentNow.count...].allSatisfy { $0 == 0 }
        #expect(unchanged, "the damaged segment must not be modified", sourceLocation: sourceLocation)
    }
}

@Suite struct CrashSimulationTests {
    enum Region: String, CaseIterable {
        case activeSegmentTailCuts, earlierCuts, sealedSegmentBits, activeSegmentBits, indexBits, forgedFrames
        case zeroTails
    }

    /// Every region of damage, concurrently; the total number of cases is part of the contract.
    @Test func crashAndCorruptionCases() async throws {
        let pristine = try await PristineLog.make()
        let counts = try await withThrowingTaskGroup(of: (Region, Int).self) { group in
            for region in Region.allCases {
                group.addTask { (region, try await Self.run(region, pristine: pristine)) }
            }
            var counts: [Region: Int] = [:]
            for try await (region, count) in group { counts[region] = count }
            return counts
        }
        for region in Region.allCases {
            print("crash simulation \(region.rawValue): \(counts[region] ?? 0) cases")
            #expect((counts[region] ?? 0) > 0)
        }
        let total = counts.values.reduce(0, +)
        print("crash simulation total: \(total) cases")
        #expect(total >= 10_000)
    }

    private static func run(_ region: Region, pristine: PristineLog) async throws -> Int {
        #expect(pristine.segments.count >= 2, "the fixture must have sealed segments and an active one")
        let sealed = pristine.segments[0]
        let active = pristine.segments[pristine.segments.count - 1]
        let activeFrames = pristine.frames(in: active)
        let last = try #require(activeFrames.last)
        #expect(activeFrames.count >= 4 && pristine.frames(in: sealed).count >= 4)
        let scratch = CrashCase(directory: TemporaryDirectory("crash"), pristine: pristine)
        var cases = 0

        switch region {
        case .activeSegmentTailCuts:
            // Cut the active segment at every byte offset of the last frame.
            let fileLength = Int64(pristine.files[active]!.count)
            for cut in last.offset..<fileLength {
                var files = pristine.files
                files[active] = Array(files[active]![0..<Int(cut)])
                try scratch.install(files)
                if cut == last.offset {
                    // Exactly on a frame boundary: a shorter but intact log.
                    let log = try EventLog.open(dataDirectory: scratch.directory.path, options: PristineLog.caseOptions)
                    #expect(log.recovery == nil)
                    #expect(log.extent.headSequence == last.header.firstSequence - 1)
                    await log.close()
                } else {
                    try await scratch.expectTornTailRecovered(lostFrom: last, fileLength: cut)
                }
                cases += 1
            }
        case .earlierCuts:
            // Cut at random offsets inside earlier frames of the active segment: everything from that frame on is
            // the torn tail. Cut inside the sealed segment: damage in the middle, never truncated.
            var generator = SystemRandomNumberGenerator()
            for frame in activeFrames.dropLast() {
                for _ in 0..<25 {
                    let cut = frame.offset + Int64.random(in: 1..<Int64(frame.header.frameLength), using: &generator)
                    var files = pristine.files
                    files[active] = Array(files[active]![0..<Int(cut)])
                    try scratch.install(files)
                    try await scratch.expectTornTailRecovered(lostFrom: frame, fileLength: cut)
                    cases += 1
                }
            }
            for frame in pristine.frames(in: sealed) {
                for _ in 0..<25 {
                    let cut = frame.offset + Int64.random(in: 1..<Int64(frame.header.frameLength), using: &generator)
                    var files = pristine.files
                    files[sealed] = Array(files[sealed]![0..<Int(cut)])
                    try scratch.install(files)
                    try await scratch.expectMidLogDamage(
                        segment: sealed,
                        offset: frame.offset,
                        sequence: frame.header.firstSequence,
                        installed: files
                    )
                    cases += 1
                }
            }
        case .sealedSegmentBits, .activeSegmentBits:
            // Flip every bit of a segment, one at a time.
            let segment = region == .sealedSegmentBits ? sealed : active
            let bytes = pristine.files[segment]!
            for offset in 0..<bytes.count {
                for bit in 0..<8 {
                    var files = pristine.files
                    files[segment]![offset] ^= UInt8(1 << bit)
                    try scratch.install(files)
                    if offset < 32 {
                        try await scratch.expectMidLogDamage(
                            segment: segment,
                            offset: 0,
                            sequence: segment == sealed ? 1 : activeFrames[0].header.firstSequence,
                            installed: files
                        )
                    } else {
                        let frame = try #require(pristine.frame(in: segment, at: Int64(offset)))
                        if frame == last {
                            try await scratch.expectTornTailRecovered(lostFrom: last, fileLength: Int64(bytes.count))
                        } else {
                            try await scratch.expectMidLogDamage(
                                segment: segment,
                                offset: frame.offset,
                                sequence: frame.header.firstSequence,
                                installed: files
                            )
                        }
                    }
                    cases += 1
                }
            }
        case .indexBits:
            // Index files are derived data: any damage is repaired and never changes an answer.
            for name in pristine.files.keys.filter({ $0.hasSuffix(".idx") }).sorted() {
                for offset in 0..<pristine.files[name]!.count {
                    var files = pristine.files
                    files[name]![offset] ^= UInt8(1 << (offset % 8))
                    try scratch.install(files)
                    let reader = try LogReader.open(dataDirectory: scratch.directory.path)
                    #expect(try reader.records(fromSequence: 1) == pristine.records)
                    for start in stride(from: UInt64(1), through: UInt64(pristine.records.count), by: 5) {
                        #expect(try reader.records(fromSequence: start, limit: 1).first?.sequence == start)
                    }
                    let log = try EventLog.open(dataDirectory: scratch.directory.path, options: PristineLog.caseOptions)
                    #expect(log.recovery == nil)
                    await log.waitForIndexMaintenance()
                    await log.close()
                    let verify = try LogInspector.verify(dataDirectory: scratch.directory.path)
                    #expect(verify.intact, "\(String(describing: verify.problem))")
                    cases += 1
                }
            }
        case .zeroTails:
            // The writer keeps the active segment zero-filled ahead of its frames. A crash leaves those zeros, and
            // a write torn inside them leaves a partial frame followed by zeros.
            let intact = pristine.files[active]!
            for tail in [1, 87, 88, 89, 4096, 100_000] {
                var files = pristine.files
                files[active] = intact + [UInt8](repeating: 0, count: tail)
                try scratch.install(files)
                let log = try EventLog.open(dataDirectory: scratch.directory.path, options: PristineLog.caseOptions)
                #expect(log.recovery == nil, "zero tail of \(tail) bytes is the clean end")
                #expect(try log.reader().records() == pristine.records)
                let receipt = try await log.append([LogRecord(timestamp: 5_000, payload: [1])])
                #expect(receipt.firstSequence == last.header.lastSequence + 1)
                await log.close()
                let verify = try LogInspector.verify(dataDirectory: scratch.directory.path)
                #expect(verify.intact, "\(String(describing: verify.problem))")
                let closedSize = try readFile(scratch.directory.logFile(active)).count
                #expect(closedSize < intact.count + 200, "close trims the zeros")
                cases += 1
            }
            // Torn inside the zeros: the last frame is written only up to `cut`, zeros after it.
            let frameEnd = Int(last.offset) + last.header.frameLength
            for cut in Int(last.offset)..<frameEnd {
                var files = pristine.files
                var bytes = intact
                for index in cut..<frameEnd { bytes[index] = 0 }
                files[active] = bytes + [UInt8](repeating: 0, count: 10_000)
                try scratch.install(files)
                if cut == Int(last.offset) {
                    let log = try EventLog.open(dataDirectory: scratch.directory.path, options: PristineLog.caseOptions)
                    #expect(log.recovery == nil)
                    #expect(log.extent.headSequence == last.header.firstSequence - 1)
                    await log.close()
                } else {
                    try await scratch.expectTornTailRecovered(lostFrom: last, fileLength: Int64(files[active]!.count))
                }
                cases += 1
            }
            // Something other than zeros in the preallocated region: cut off, reported, nothing acknowledged lost.
            for position in [0, 1, 87, 88, 5_000, 9_999] {
                var files = pristine.files
                var tail = [UInt8](repeating: 0, count: 10_000)
                tail[position] = 0x5A
                files[active] = intact + tail
                try scratch.install(files)
                let log = try EventLog.open(dataDirectory: scratch.directory.path, options: PristineLog.caseOptions)
                let report = try #require(log.recovery)
                #expect(report.offset == Int64(intact.count) && report.bytesTruncated == 10_000)
                #expect(report.firstLostSequence == last.header.lastSequence + 1)
                #expect(try log.reader().records() == pristine.records)
                await log.close()
                cases += 1
            }
            // A zeroed frame header with valid frames after it is damage inside the log, never an end.
            for frame in activeFrames.dropLast() {
                var files = pristine.files
                for index in Int(frame.offset)..<Int(frame.offset) + FrameHeader.size { files[active]![index] = 0 }
                files[active]! += [UInt8](repeating: 0, count: 4096)
                try scratch.install(files)
                try await scratch.expectMidLogDamage(
                    segment: active,
                    offset: frame.offset,
                    sequence: frame.header.firstSequence,
                    installed: files
                )
                cases += 1
            }
        case .forgedFrames:
            // Frames with valid checksums but a broken hash link or sequence: never a torn write, always refused.
            for frame in pristine.frames where frame.header.firstSequence > 1 {
                for forgery in 0..<2 {
                    var files = pristine.files
                    let start = Int(frame.offset)
                    if forgery == 0 {
                        files[frame.segment]![start + 48] ^= 0x01  // previous-frame hash
                    } else {
                        files[frame.segment]![start + 8] &+= 1  // first sequence
                    }
                    let crc = files[frame.segment]!.withUnsafeBytes {
                        CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<start + 84]))
                    }
                    withUnsafeBytes(of: crc.littleEndian) {
                        files[frame.segment]!.replaceSubrange(start + 84..<start + 88, with: $0)
                    }
                    try scratch.install(files)
                    let verify = try LogInspector.verify(dataDirectory: scratch.directory.path)
                    #expect(verify.problem?.code == (forgery == 0 ? .chainMismatch : .sequenceGap))
                    #expect(verify.problem?.offset == frame.offset && verify.problem?.segment == frame.segment)
                    // Open refuses whenever the forged frame lies in the scanned tail and is not the first scanned.
                    do {
                        let log = try EventLog.open(
                            dataDirectory: scratch.directory.path,
                            options: PristineLog.caseOptions
                        )
                        #expect(log.recovery == nil)
                        await log.close()
                    } catch {
                        let error: EventLogError? = error
                        #expect(error?.code == (forgery == 0 ? .chainMismatch : .sequenceGap))
                        // Open cannot check the back link of the first frame it scans, so a forged frame there is
                        // caught at the link to the next frame — in the next segment, when it is a sealed segment's
                        // last frame; verify (above) names the forged frame itself.
                        let next =
                            pristine.frames(in: frame.segment).first { $0.offset > frame.offset }
                            ?? pristine.frames.first { $0.header.firstSequence == frame.header.lastSequence + 1 }
                        #expect(
                            (error?.offset == frame.offset && error?.segment == frame.segment)
                                || (error?.offset == next?.offset && error?.segment == next?.segment)
                        )
                    }
                    let untouched = try readFile(scratch.directory.logFile(frame.segment)) == files[frame.segment]
                    #expect(untouched, "a refused log is left as it was")
                    cases += 1
                }
            }
        }
        return cases
    }
}
