import LoadGen

/// A query sample library of deterministic pseudo-random float32 inputs, for performance-only benchmarks whose
/// real data is not available offline (`resnet50-perf`: 3×224×224 per sample). Sample `i` is the same for a given
/// seed on every run and machine; its values are uniform in [-1, 1).
///
/// Loading generates the requested samples into one contiguous buffer (untimed, as LoadGen requires); unloading
/// frees it. A SUT reads a loaded sample without a copy through `sample(_:)`. Load and unload are called by LoadGen
/// between loadable sets, never while queries run, so reads need no lock (hence `@unchecked Sendable`).
public final class SyntheticQSL: QuerySampleLibrary, @unchecked Sendable {
    public let name: String
    public let totalSampleCount: Int
    public let performanceSampleCount: Int
    /// The shape of one sample, e.g. [3, 224, 224].
    public let sampleShape: [Int]
    /// Floats per sample (product of `sampleShape`).
    public let sampleElementCount: Int
    public let seed: UInt64

    /// Slot in `buffer` of each QSL index, -1 when not loaded.
    private var slot: [Int32]
    private var buffer: UnsafeMutablePointer<Float>?
    private var loadedCount = 0

    /// `performanceSampleCount` is how many samples LoadGen may load at once (memory: count × elements × 4 bytes).
    public init(name: String = "synthetic", sampleShape: [Int], totalSampleCount: Int = 1024,
                performanceSampleCount: Int = 128, seed: UInt64 = 0) {
        precondition(!sampleShape.isEmpty && sampleShape.allSatisfy { $0 > 0 }, "sample shape must be positive")
        precondition(totalSampleCount > 0 && performanceSampleCount > 0, "sample counts must be positive")
        self.name = name
        self.sampleShape = sampleShape
        self.sampleElementCount = sampleShape.reduce(1, *)
        self.totalSampleCount = totalSampleCount
        self.performanceSampleCount = min(performanceSampleCount, totalSampleCount)
        self.seed = seed
        self.slot = [Int32](repeating: -1, count: totalSampleCount)
    }

    deinit { buffer?.deallocate() }

    /// Generates `indices` (duplicates allowed: each distinct sample is made once), replacing what was loaded.
    public func loadSamplesToRAM(_ indices: [Int]) throws {
        freeBuffer()
        guard !indices.isEmpty else { return }
        for index in indices where index < 0 || index >= totalSampleCount {
            throw SyntheticQSLError.indexOutOfRange(index: index, count: totalSampleCount)
        }
        let buf = UnsafeMutablePointer<Float>.allocate(capacity: indices.count * sampleElementCount)
        var next = 0
        for index in indices where slot[index] < 0 {
            Self.generate(seed: seed, index: index,
                          into: UnsafeMutableBufferPointer(start: buf + next * sampleElementCount,
                                                           count: sampleElementCount))
            slot[index] = Int32(next)
            next += 1
        }
        buffer = buf
        loadedCount = next
    }

    public func unloadSamplesFromRAM(_ indices: [Int]) throws { freeBuffer() }

    /// How many distinct samples are loaded.
    public var loadedSampleCount: Int { loadedCount }

    public func isLoaded(_ index: Int) -> Bool { index >= 0 && index < totalSampleCount && slot[index] >= 0 }

    /// The floats of a loaded sample, without a copy; valid until the next load or unload. The sample must be
    /// loaded (checked with a precondition).
    @inlinable public func sample(_ index: Int) -> UnsafePointer<Float> {
        let s = slotOf(index)
        precondition(s >= 0, "synthetic QSL sample \(index) is not loaded")
        return UnsafePointer(bufferBase! + s * sampleElementCount)
    }

    @usableFromInline func slotOf(_ index: Int) -> Int { Int(slot[index]) }
    @usableFromInline var bufferBase: UnsafeMutablePointer<Float>? { buffer }

    /// Fills `out` with sample `index` for `seed`: splitmix64 seeded from (seed, index), two 24-bit values per draw.
    public static func generate(seed: UInt64, index: Int, into out: UnsafeMutableBufferPointer<Float>) {
        var state = seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15 &+ 0xD1B5_4A32_D192_ED03
        let scale = Float(1) / Float(1 << 23)
        var i = 0
        let n = out.count
        while i < n {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            out[i] = Float(Int32(truncatingIfNeeded: z & 0xFF_FFFF)) * scale - 1
            if i + 1 < n { out[i + 1] = Float(Int32(truncatingIfNeeded: (z >> 32) & 0xFF_FFFF)) * scale - 1 }
            i += 2
        }
    }

    private func freeBuffer() {
        buffer?.deallocate()
        buffer = nil
        loadedCount = 0
        for i in slot.indices { slot[i] = -1 }
    }
}

public enum SyntheticQSLError: Error, Equatable, CustomStringConvertible {
    case indexOutOfRange(index: Int, count: Int)

    public var description: String {
        switch self {
        case .indexOutOfRange(let index, let count):
            return "synthetic QSL sample index \(index) is out of range 0..<\(count)"
        }
    }
}
