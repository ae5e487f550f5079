import Datasets
import LoadGen

/// A query sample library whose samples are already preprocessed in memory, one byte block per sample and input
/// (e.g. NCF's user and item ids, int64 `[101]` each; a review's token ids, int64 `[512]`). For data sets small
/// enough to hold whole (a few MB): loading is only a range check, and the SUT reads the samples in place.
public final class TensorQSL: QuerySampleLibrary, SampleProvider, @unchecked Sendable {
    public let name: String
    public let totalSampleCount: Int
    public let performanceSampleCount: Int
    public let inputByteCounts: [Int]
    private let storage: [UnsafeMutableRawPointer]

    /// - Parameters:
    ///   - inputs: per input (contract order), all samples' bytes back to back: `totalSampleCount × bytes`.
    ///   - inputByteCounts: bytes per sample of each input.
    public init(name: String, totalSampleCount: Int, performanceSampleCount: Int? = nil, inputs: [[UInt8]],
                inputByteCounts: [Int]) {
        precondition(inputs.count == inputByteCounts.count, "one byte block per input")
        for (block, n) in zip(inputs, inputByteCounts) {
            precondition(block.count == n * totalSampleCount, "input block of \(block.count) bytes, expected \(n * totalSampleCount)")
        }
        self.name = name
        self.totalSampleCount = totalSampleCount
        self.performanceSampleCount = performanceSampleCount ?? totalSampleCount
        self.inputByteCounts = inputByteCounts
        self.storage = inputs.map { block in
            let p = UnsafeMutableRawPointer.allocate(byteCount: max(block.count, 1), alignment: 64)
            block.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: block.count) }
            return p
        }
    }

    /// From int64 values: per input, `totalSampleCount × elements` values.
    public convenience init(name: String, totalSampleCount: Int, performanceSampleCount: Int? = nil,
                            int64Inputs: [[Int64]]) {
        let bytes = int64Inputs.map { values in values.withUnsafeBytes { Array($0) } }
        self.init(name: name, totalSampleCount: totalSampleCount, performanceSampleCount: performanceSampleCount,
                  inputs: bytes, inputByteCounts: int64Inputs.map { $0.count / max(totalSampleCount, 1) * 8 })
    }

    deinit { storage.forEach { $0.deallocate() } }

    public func loadSamplesToRAM(_ indices: [Int]) throws {
        if let bad = indices.first(where: { $0 < 0 || $0 >= totalSampleCount }) {
            throw QSLError.indexOutOfRange(index: bad, count: totalSampleCount)
        }
    }

    public func unloadSamplesFromRAM(_ indices: [Int]) throws {}

    @inline(__always)
    public func sample(_ index: Int, input: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(storage[input] + index * inputByteCounts[input])
    }
}
