import Serving

/// DBNet's post-processing (Liao et al. 2020, "Real-time Scene Text Detection with Differentiable Binarization"), as
/// PaddleOCR / RapidOCR configure it for PP-OCRv4's detector: binarize the probability map at `threshold` (0.3),
/// dilate by a 2×2 kernel, take each 8-connected region, score it by the mean probability inside its box ("fast"
/// score mode), keep it when the score is at least `boxThreshold` (0.5) and both sides are at least `minSize` (3)
/// pixels, and grow ("unclip") the box by `area × unclipRatio / perimeter` (1.6) on every side.
///
/// Difference from PaddleOCR, stated: boxes are axis-aligned rectangles (PaddleOCR fits a rotated minimum-area
/// rectangle and offsets the polygon with pyclipper); the text here is horizontal, for which the two agree.
///
/// Response layout (little-endian): Int32 box count, then up to `maxBoxes` boxes of five Float32 — x0, y0, x1, y1
/// (pixel edges, x1/y1 exclusive) and score — in raster order of their regions; unused slots are zero.
/// All scratch space is allocated once: `process` allocates nothing.
public final class DBPostprocessor: ResponsePostprocessor {
    public static let threshold: Float = 0.3
    public static let boxThreshold: Float = 0.5
    public static let unclipRatio: Float = 1.6
    public static let minSize = 3
    public static let maxBoxes = 64
    /// Regions tracked per image (more are ignored: a probability map of noise, not text).
    public static let maxRegions = 4096

    public let height: Int
    public let width: Int
    public var responseByteCount: Int { 4 + Self.maxBoxes * 20 }
    private let mask: UnsafeMutablePointer<UInt8>
    private let labels: UnsafeMutablePointer<Int32>
    private let stack: UnsafeMutablePointer<Int32>
    private let bounds: UnsafeMutablePointer<Int32>  // per region: x0, y0, x1, y1 (inclusive)

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
        mask = .allocate(capacity: height * width)
        labels = .allocate(capacity: height * width)
        stack = .allocate(capacity: height * width)
        bounds = .allocate(capacity: 4 * Self.maxRegions)
    }

    deinit { mask.deallocate(); labels.deallocate(); stack.deallocate(); bounds.deallocate() }

    public func process(_ output: UnsafePointer<Float>, count: Int, into response: UnsafeMutableRawPointer) {
        precondition(count == height * width, "DB post-processing needs a \(height)×\(width) probability map")
        let h = height, w = width
        // Binarize and dilate (a pixel is set when it or its left, upper or upper-left neighbour is above threshold;
        // OpenCV's 2×2 kernel anchored at its centre).
        for y in 0..<h {
            for x in 0..<w {
                var on = output[y * w + x] > Self.threshold
                if !on && x > 0 { on = output[y * w + x - 1] > Self.threshold }
                if !on && y > 0 { on = output[(y - 1) * w + x] > Self.threshold }
                if !on && x > 0 && y > 0 { on = output[(y - 1) * w + x - 1] > Self.threshold }
                mask[y * w + x] = on ? 1 : 0
                labels[y * w + x] = 0
            }
        }
        // 8-connected regions, flood fill with an explicit stack.
        var regions = 0
        for start in 0..<(h * w) where mask[start] == 1 && labels[start] == 0 {
            guard regions < Self.maxRegions else { break }
            regions += 1
            let label = Int32(regions)
            var x0 = Int32.max, y0 = Int32.max, x1 = Int32.min, y1 = Int32.min
            var top = 0
            stack[0] = Int32(start)
            labels[start] = label
            top = 1
            while top > 0 {
                top -= 1
                let p = Int(stack[top])
                let py = Int32(p / w), px = Int32(p % w)
                x0 = min(x0, px); x1 = max(x1, px); y0 = min(y0, py); y1 = max(y1, py)
                for dy in -1...1 {
                    let ny = Int(py) + dy
                    if ny < 0 || ny >= h { continue }
                    for dx in -1...1 {
                        let nx = Int(px) + dx
                        if nx < 0 || nx >= w || (dx == 0 && dy == 0) { continue }
                        let q = ny * w + nx
                        if mask[q] == 1 && labels[q] == 0 {
                            labels[q] = label
                            stack[top] = Int32(q)
                            top += 1
                        }
                    }
                }
            }
            let b = bounds + 4 * (regions - 1)
            b[0] = x0; b[1] = y0; b[2] = x1; b[3] = y1
        }
        // Score, filter, unclip.
        var kept: Int32 = 0
        let out = response + 4
        for r in 0..<regions where kept < Int32(Self.maxBoxes) {
            let b = bounds + 4 * r
            let bw = Int(b[2] - b[0] + 1), bh = Int(b[3] - b[1] + 1)
            if min(bw, bh) < Self.minSize { continue }
            var sum: Float = 0
            for y in Int(b[1])...Int(b[3]) {
                for x in Int(b[0])...Int(b[2]) { sum += output[y * w + x] }
            }
            let score = sum / Float(bw * bh)
            if score < Self.boxThreshold { continue }
            let d = Float(bw * bh) * Self.unclipRatio / Float(2 * (bw + bh))
            let slot = out + Int(kept) * 20
            @inline(__always) func put(_ v: Float, _ k: Int) {
                slot.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * k, as: UInt32.self)
            }
            put(max(0, Float(b[0]) - d), 0)
            put(max(0, Float(b[1]) - d), 1)
            put(min(Float(w), Float(b[2] + 1) + d), 2)
            put(min(Float(h), Float(b[3] + 1) + d), 3)
            put(score, 4)
            kept += 1
        }
        response.storeBytes(of: kept.littleEndian, as: Int32.self)
        let used = 4 + Int(kept) * 20
        (response + used).initializeMemory(as: UInt8.self, repeating: 0, count: responseByteCount - used)
    }

    /// Decodes a response: the boxes (x0, y0, x1, y1, score).
    /// - Returns: nil when the bytes are not a response of this layout.
    public static func decode(_ bytes: [UInt8]) -> [(x0: Float, y0: Float, x1: Float, y1: Float, score: Float)]? {
        guard bytes.count >= 4 else { return nil }
        func u32(_ o: Int) -> UInt32 { AccuracyCheck.uint32LE(bytes, at: o) }
        let n = Int(Int32(bitPattern: u32(0)))
        guard n >= 0 && n <= maxBoxes && bytes.count >= 4 + n * 20 else { return nil }
        return (0..<n).map { i in
            let f = (0..<5).map { Float(bitPattern: u32(4 + i * 20 + 4 * $0)) }
            return (f[0], f[1], f[2], f[3], f[4])
        }
    }
}
