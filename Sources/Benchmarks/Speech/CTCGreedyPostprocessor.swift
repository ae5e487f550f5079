import Serving

/// Greedy CTC decoding (Graves et al. 2006), the rule of `greedy_decode` in `references/pytorch/train_speech.py`: the
/// best class of each output frame (ties: the lowest class), repeats merged, blanks (class 0) dropped. The model's
/// output is `frames × classes` log-probabilities.
///
/// Response layout (little-endian): Int32 word count, then up to `maxWords` Int32 word ids (1-based: id k is the
/// vocabulary's word k − 1); unused slots are zero. A hypothesis longer than `maxWords` is cut (counted as deletions).
/// `process` allocates nothing.
public final class CTCGreedyPostprocessor: ResponsePostprocessor {
    public static let maxWords = 32
    public let frames: Int
    public let classes: Int
    public var responseByteCount: Int { 4 + 4 * Self.maxWords }

    public init(frames: Int, classes: Int) {
        self.frames = frames
        self.classes = classes
    }

    public func process(_ output: UnsafePointer<Float>, count: Int, into response: UnsafeMutableRawPointer) {
        precondition(count == frames * classes, "CTC decoding needs \(frames)×\(classes) values")
        var n = 0, previous = 0
        for t in 0..<frames {
            let row = output + t * classes
            var best = 0
            for c in 1..<classes where row[c] > row[best] { best = c }
            if best != previous && best != 0 && n < Self.maxWords {
                response.storeBytes(of: Int32(best).littleEndian, toByteOffset: 4 + 4 * n, as: Int32.self)
                n += 1
            }
            previous = best
        }
        response.storeBytes(of: Int32(n).littleEndian, as: Int32.self)
        (response + 4 + 4 * n).initializeMemory(as: UInt8.self, repeating: 0, count: 4 * (Self.maxWords - n))
    }

    /// The word ids of a response, or nil when the bytes are not this layout.
    public static func decode(_ bytes: [UInt8]) -> [Int]? {
        guard bytes.count >= 4 else { return nil }
        let n = Int(Int32(bitPattern: AccuracyCheck.uint32LE(bytes, at: 0)))
        guard n >= 0 && n <= maxWords && bytes.count >= 4 + 4 * n else { return nil }
        return (0..<n).map { Int(Int32(bitPattern: AccuracyCheck.uint32LE(bytes, at: 4 + 4 * $0))) }
    }
}
