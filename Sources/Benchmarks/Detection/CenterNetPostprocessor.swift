import Foundation
import Serving

/// The post-processing of the suite's CenterNet-style detectors (Zhou et al. 2019, "Objects as Points"), the same
/// rules as `decode` in `references/pytorch/train_object_detection.py`:
/// 1. the model's output is `classes` heatmaps (sigmoid scores), then log width, log height and the x, y offset of the
///    centre inside its cell, all on a `grid`×`grid` map at stride 4;
/// 2. a candidate is a cell whose score is ≥ `scoreThreshold` (0.05) and ≥ each of its 8 neighbours in the same
///    heatmap (a 3×3 max-pool peak; equal neighbours are all kept);
/// 3. the `preNMS` (100) best candidates by score are kept (ties: class, then raster order);
/// 4. box: centre `(x + offset_x, y + offset_y) × 4`, size `exp(log size) × 4`, clipped to the image;
/// 5. greedy non-maximum suppression per class: a candidate is dropped when its IoU with a kept box of its class is
///    > `nmsIoU` (0.5); at most `maxDetections` (100) are kept.
///
/// Response layout (little-endian): Int32 detection count, then up to `maxDetections` detections of x0, y0, x1, y1,
/// score (Float32, pixels, x1/y1 exclusive) and the class index (Int32), by descending score; unused slots are zero.
/// All scratch space is allocated once: `process` allocates nothing.
public final class CenterNetPostprocessor: ResponsePostprocessor {
    public static let stride: Float = 4
    public static let scoreThreshold: Float = 0.05
    public static let nmsIoU: Float = 0.5
    public static let preNMS = 100
    public static let maxDetections = 100
    static let detectionBytes = 24

    public let classes: Int
    public let grid: Int
    public var responseByteCount: Int { 4 + Self.maxDetections * Self.detectionBytes }
    /// Candidates kept sorted by descending score: flat index (class, y, x) and score.
    private let candidateIndex: UnsafeMutablePointer<Int32>
    private let candidateScore: UnsafeMutablePointer<Float>
    private let boxes: UnsafeMutablePointer<Float>  // per candidate: x0, y0, x1, y1
    private let kept: UnsafeMutablePointer<Int32>

    public init(classes: Int, grid: Int) {
        self.classes = classes
        self.grid = grid
        candidateIndex = .allocate(capacity: Self.preNMS)
        candidateScore = .allocate(capacity: Self.preNMS)
        boxes = .allocate(capacity: 4 * Self.preNMS)
        kept = .allocate(capacity: Self.maxDetections)
    }

    deinit { candidateIndex.deallocate(); candidateScore.deallocate(); boxes.deallocate(); kept.deallocate() }

    /// Values the model writes per sample: `(classes + 4) × grid × grid`.
    public var outputCount: Int { (classes + 4) * grid * grid }

    public func process(_ output: UnsafePointer<Float>, count: Int, into response: UnsafeMutableRawPointer) {
        precondition(count == outputCount, "CenterNet post-processing needs \(classes + 4)×\(grid)×\(grid) values")
        let g = grid, plane = g * g
        // 1–3: peaks above the threshold, the best `preNMS` by score, kept in order by insertion (a later candidate
        // with an equal score goes after the earlier ones: ties stay in (class, y, x) order).
        var n = 0
        for c in 0..<classes {
            let heat = output + c * plane
            for y in 0..<g {
                for x in 0..<g {
                    let v = heat[y * g + x]
                    if v < Self.scoreThreshold { continue }
                    if n == Self.preNMS && v <= candidateScore[n - 1] { continue }
                    var peak = true
                    for dy in -1...1 where peak {
                        let ny = y + dy
                        if ny < 0 || ny >= g { continue }
                        for dx in -1...1 {
                            let nx = x + dx
                            if nx < 0 || nx >= g { continue }
                            if heat[ny * g + nx] > v { peak = false; break }
                        }
                    }
                    if !peak { continue }
                    var slot = n == Self.preNMS ? n - 1 : n
                    while slot > 0 && candidateScore[slot - 1] < v {
                        candidateScore[slot] = candidateScore[slot - 1]
                        candidateIndex[slot] = candidateIndex[slot - 1]
                        slot -= 1
                    }
                    candidateScore[slot] = v
                    candidateIndex[slot] = Int32(c * plane + y * g + x)
                    if n < Self.preNMS { n += 1 }
                }
            }
        }
        // 4: boxes.
        let side = Float(g) * Self.stride
        let sizeW = output + classes * plane, sizeH = sizeW + plane, offX = sizeH + plane, offY = offX + plane
        for i in 0..<n {
            let cell = Int(candidateIndex[i]) % plane
            let w = expf(sizeW[cell]) * Self.stride, h = expf(sizeH[cell]) * Self.stride
            let cx = (Float(cell % g) + offX[cell]) * Self.stride, cy = (Float(cell / g) + offY[cell]) * Self.stride
            let b = boxes + 4 * i
            b[0] = min(max(cx - w / 2, 0), side)
            b[1] = min(max(cy - h / 2, 0), side)
            b[2] = min(max(cx + w / 2, 0), side)
            b[3] = min(max(cy + h / 2, 0), side)
        }
        // 5: NMS per class.
        var k = 0
        for i in 0..<n where k < Self.maxDetections {
            let ci = Int(candidateIndex[i]) / plane
            let a = boxes + 4 * i
            var suppressed = false
            for j in 0..<k where Int(candidateIndex[Int(kept[j])]) / plane == ci {
                let b = boxes + 4 * Int(kept[j])
                let iw = max(min(a[2], b[2]) - max(a[0], b[0]), 0), ih = max(min(a[3], b[3]) - max(a[1], b[1]), 0)
                let inter = iw * ih
                let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
                if union > 0 && inter / union > Self.nmsIoU { suppressed = true; break }
            }
            if !suppressed { kept[k] = Int32(i); k += 1 }
        }
        response.storeBytes(of: Int32(k).littleEndian, as: Int32.self)
        for j in 0..<k {
            let i = Int(kept[j])
            let slot = response + 4 + j * Self.detectionBytes
            for f in 0..<4 { slot.storeBytes(of: boxes[4 * i + f].bitPattern.littleEndian, toByteOffset: 4 * f, as: UInt32.self) }
            slot.storeBytes(of: candidateScore[i].bitPattern.littleEndian, toByteOffset: 16, as: UInt32.self)
            slot.storeBytes(of: Int32(Int(candidateIndex[i]) / plane).littleEndian, toByteOffset: 20, as: Int32.self)
        }
        let used = 4 + k * Self.detectionBytes
        (response + used).initializeMemory(as: UInt8.self, repeating: 0, count: responseByteCount - used)
    }

    /// One decoded detection of a response.
    public struct Detection: Sendable, Equatable {
        public var x0, y0, x1, y1, score: Float
        public var classIndex: Int
    }

    /// Decodes a response.
    /// - Returns: nil when the bytes are not a response of this layout (too short, a negative or too large count).
    public static func decode(_ bytes: [UInt8]) -> [Detection]? {
        guard bytes.count >= 4 else { return nil }
        func u32(_ o: Int) -> UInt32 { AccuracyCheck.uint32LE(bytes, at: o) }
        let n = Int(Int32(bitPattern: u32(0)))
        guard n >= 0 && n <= maxDetections && bytes.count >= 4 + n * detectionBytes else { return nil }
        return (0..<n).map { i in
            let o = 4 + i * detectionBytes
            let f = (0..<5).map { Float(bitPattern: u32(o + 4 * $0)) }
            return Detection(x0: f[0], y0: f[1], x1: f[2], y1: f[3], score: f[4],
                             classIndex: Int(Int32(bitPattern: u32(o + 20))))
        }
    }
}
