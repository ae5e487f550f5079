import LoadGen

/// The query sample library over the 10 000 Fashion-MNIST test images. Loading preprocesses the requested samples
/// (the training preprocessing, `x / 255`) into one contiguous float32 buffer; unloading frees it. A SUT reads a
/// loaded sample without a copy through `sample(_:)`.
///
/// Load and unload are called by LoadGen between loadable sets, never while queries run, so the reads in `sample(_:)`
/// need no lock (hence `@unchecked Sendable`).
public final class FashionMNISTQSL: QuerySampleLibrary, @unchecked Sendable {
    public let name = "fashion-mnist"
    public let totalSampleCount: Int
    public let performanceSampleCount: Int
    /// The labels of all test samples by QSL index, for accuracy checking.
    public let labels: [UInt8]

    private let split: FashionMNISTSplit
    /// Slot in `buffer` of each QSL index, -1 when not loaded.
    private var slot: [Int32]
    private var buffer: UnsafeMutablePointer<Float>?
    private var loadedCount = 0

    /// Reads the test split from `directory` (default `$FASHION_MNIST_DIR` or Debian's directory).
    /// `performanceSampleCount` defaults to the whole set (it is 31 MB of floats).
    public convenience init(directory: String = FashionMNIST.defaultDirectory(),
                            performanceSampleCount: Int? = nil) throws {
        let split = try FashionMNIST.load(.test, directory: directory)
        self.init(split: split, performanceSampleCount: performanceSampleCount)
    }

    public init(split: FashionMNISTSplit, performanceSampleCount: Int? = nil) {
        self.split = split
        self.totalSampleCount = split.count
        self.performanceSampleCount = performanceSampleCount ?? split.count
        self.labels = split.labels
        self.slot = [Int32](repeating: -1, count: split.count)
    }

    deinit { buffer?.deallocate() }

    /// Preprocesses `indices` into one buffer, replacing whatever was loaded before.
    public func loadSamplesToRAM(_ indices: [Int]) throws {
        freeBuffer()
        guard !indices.isEmpty else { return }
        let buf = UnsafeMutablePointer<Float>.allocate(capacity: indices.count * FashionMNIST.pixels)
        var next = 0
        for index in indices {
            guard index >= 0, index < totalSampleCount else {
                buf.deallocate()
                throw QSLError.indexOutOfRange(index: index, count: totalSampleCount)
            }
            if slot[index] >= 0 { continue }
            FashionMNIST.preprocess(split, index: index, into: buf + next * FashionMNIST.pixels)
            slot[index] = Int32(next)
            next += 1
        }
        buffer = buf
        loadedCount = next
    }

    public func unloadSamplesFromRAM(_ indices: [Int]) throws {
        freeBuffer()
    }

    /// How many distinct samples are loaded.
    public var loadedSampleCount: Int { loadedCount }

    public func isLoaded(_ index: Int) -> Bool { index >= 0 && index < totalSampleCount && slot[index] >= 0 }

    /// The 784 preprocessed floats of a loaded sample (row-major 28×28), without a copy. Valid until the next
    /// load or unload. The sample must be loaded (checked with a precondition).
    @inlinable public func sample(_ index: Int) -> UnsafePointer<Float> {
        let s = slotOf(index)
        precondition(s >= 0, "Fashion-MNIST QSL sample \(index) is not loaded")
        return UnsafePointer(bufferBase! + s * FashionMNIST.pixels)
    }

    @usableFromInline func slotOf(_ index: Int) -> Int { Int(slot[index]) }
    @usableFromInline var bufferBase: UnsafeMutablePointer<Float>? { buffer }

    private func freeBuffer() {
        buffer?.deallocate()
        buffer = nil
        loadedCount = 0
        for i in slot.indices { slot[i] = -1 }
    }
}

public enum QSLError: Error, Equatable, CustomStringConvertible {
    case indexOutOfRange(index: Int, count: Int)

    public var description: String {
        switch self {
        case .indexOutOfRange(let index, let count):
            return "QSL sample index \(index) is out of range 0..<\(count)"
        }
    }
}
