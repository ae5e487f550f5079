import Foundation
import TestSupport
import Testing
@testable import Benchmarks
@testable import Datasets

/// The suite's data preparation, implemented twice (Swift here, Python in references/pytorch), compared on the
/// whole data sets; the R lazy-load reader against bad files.
@Suite("data preparation: Swift vs the independent Python implementation")
struct DataPreparationTests {
    static let references = repositoryRoot.path + "/references/pytorch"

    @Test("MovieLens leave-one-out split and SplitMix64 test negatives equal Python's, byte for byte")
    func movieLensEqualsPython() throws {
        let swift = try MovieLens.load(directory: NCFBenchmark.data.directory(), hint: NCFBenchmark.data.missingHint)
        #expect(swift.userCount == 671 && swift.itemCount == 9066)
        #expect(swift.trainUsers.count == 100_004 - 671)
        #expect(swift.testNegatives.count == 671 * 100)
        let out = Scratch.file("movielens-python.txt")
        let r = try Subprocess.run(Python.project, [Self.references + "/movielens_data.py", "--dump", out])
        try #require(r.status == 0, "\(r.stderr)")
        let python = try String(contentsOfFile: out, encoding: .utf8)
        let dump = swift.dump()
        #expect(dump.count == python.count)
        if dump != python {
            let a = dump.split(separator: "\n"), b = python.split(separator: "\n")
            let i = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
            Issue.record("first differing line \(i + 1): swift `\(i < a.count ? a[i] : "")` python `\(i < b.count ? b[i] : "")`")
        }
    }

    @Test("the sentiment vocabulary built in Swift equals Python's, and every test review encodes to the same 512 ids")
    func sentimentTokensEqualPython() throws {
        let foods = try FineFoods.load(directory: SentimentBenchmark.data.directory(),
                                       hint: SentimentBenchmark.data.missingHint)
        #expect(foods.trainReviews.count == 4000 && foods.testReviews.count == 1000)
        #expect(foods.testLabels.filter { $0 == 1 }.count == 658)
        let vocabulary = SentimentVocabulary.build(trainReviews: foods.trainReviews)
        let vocabPath = Scratch.file("vocab-python.json")
        let built = try Subprocess.run(Python.project, [Self.references + "/fine_foods_data.py", "--build-vocab", vocabPath])
        try #require(built.status == 0, "\(built.stderr)")
        let python = try SentimentVocabulary.read(path: vocabPath)
        #expect(vocabulary.unigrams == python.unigrams)
        #expect(vocabulary.bigrams == python.bigrams)
        #expect(vocabulary.size == 27_275)
        // Swift's own file reads back equal, and Python encodes with it.
        let swiftVocab = Scratch.file("vocab-swift.json")
        try vocabulary.write(path: swiftVocab)
        #expect(try SentimentVocabulary.read(path: swiftVocab) == vocabulary)
        let tokens = Scratch.file("tokens-python.txt")
        let dumped = try Subprocess.run(Python.project, [Self.references + "/fine_foods_data.py", "--dump-tokens", tokens,
                                                         "--vocab", swiftVocab])
        try #require(dumped.status == 0, "\(dumped.stderr)")
        let lines = try String(contentsOfFile: tokens, encoding: .utf8).split(separator: "\n")
        try #require(lines.count == 1000)
        var differing = 0
        for (i, line) in lines.enumerated() {
            let ids = vocabulary.encode(foods.testReviews[i]).map(String.init).joined(separator: " ")
            if ids != line {
                differing += 1
                if differing == 1 { Issue.record("test review \(i) encodes differently:\n\(foods.testReviews[i])") }
            }
        }
        #expect(differing == 0)
    }

    @Test("tokenisation: break tags, case, apostrophes, non-ASCII separators", arguments: [
        ("Great<br />stuff<BR>here<Br/>ok", ["great", "stuff", "here", "ok"]),
        ("Don't STOP — it’s 100% good!", ["dont", "stop", "its", "100", "good"]),
        ("<br >not a tag", ["br", "not", "a", "tag"]),
        ("caf\u{E9} na\u{EF}ve \u{FFFD}x", ["caf", "na", "ve", "x"]),
        ("", []),
    ])
    func tokenize(_ text: String, _ expected: [String]) {
        #expect(FineFoods.tokenize(text) == expected)
    }

    @Test("a missing data set names the file and the command that fetches it")
    func missingData() throws {
        let dir = try Scratch.directory("no-movielens").path
        #expect { try MovieLens.load(directory: dir, hint: NCFBenchmark.data.missingHint) } throws: { error in
            let s = "\(error)"
            return s.contains(dir + "/Rdata.rdx") && s.contains("bash scripts/setup.sh") && s.contains("MLPERF_MOVIELENS_DIR")
        }
    }

    @Test("a corrupt or truncated Rdata.rdb is one error naming the file and the object")
    func corruptData() throws {
        let source = SentimentBenchmark.data.directory()
        for damage in ["flip", "truncate"] {
            let dir = try Scratch.directory("bad-modeldata-\(damage)").path
            try FileManager.default.copyItem(atPath: source + "/Rdata.rdx", toPath: dir + "/Rdata.rdx")
            var rdb = try Data(contentsOf: URL(fileURLWithPath: source + "/Rdata.rdb"))
            let db = try RLazyLoadDB(directory: source, hint: "")
            let (offset, length) = db.index["testing_data"]!
            if damage == "flip" {
                for k in stride(from: offset + 64, to: offset + length - 64, by: 97) { rdb[k] ^= 0x5A }
            } else {
                rdb = rdb.prefix(offset + length / 2)
            }
            try rdb.write(to: URL(fileURLWithPath: dir + "/Rdata.rdb"))
            #expect { try FineFoods.load(directory: dir, hint: SentimentBenchmark.data.missingHint) } throws: { error in
                let s = "\(error)"
                return s.contains(dir + "/Rdata.rdb") && (s.contains("testing_data") || s.contains("truncated"))
            }
        }
    }

    @Test("R serialization: Latin-1 strings decode as Latin-1; impossible lengths are errors, not traps")
    func serializationEdges() throws {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let header: [UInt8] = Array("X\n".utf8) + be(2) + be(0x040100) + be(0x020300)
        // STRSXP of one CHARSXP marked LATIN1 (levels bit 2, stored from bit 12): "café" in Latin-1.
        let latin1 = header + be(16) + be(1) + be(0x0000_4009) + be(4) + [0x63, 0x61, 0x66, 0xE9]
        let o = try RSerialization.parse(latin1, path: "latin1")
        #expect(o.strings == ["caf\u{E9}"])
        // An integer vector announcing 2^31 - 1 elements in a few bytes; a negative long length.
        #expect(throws: DatasetError.self) { try RSerialization.parse(header + be(13) + be(0x7FFF_FFFF), path: "huge") }
        #expect(throws: DatasetError.self) {
            try RSerialization.parse(header + be(14) + be(0xFFFF_FFFF) + be(0xFFFF_FFFF) + be(0), path: "negative")
        }
    }

    @Test("the R reader reads the same columns as PyPI rdata (an independent parser)")
    func readerEqualsRdata() throws {
        let dir = NCFBenchmark.data.directory()
        let frame = try RDataFrame(RLazyLoadDB(directory: dir, hint: "").object("movielens"), path: dir)
        let users = try frame.integers("userId"), movies = try frame.integers("movieId")
        let times = try frame.integers("timestamp"), genres = try frame.strings("genres")
        let ratings = try #require(frame.object.element(named: "rating")?.doubles)
        let script = """
        import sys, gzip, zlib, warnings
        warnings.simplefilter("ignore")
        from rdata.parser import parse_data
        from rdata.conversion import convert
        d = sys.argv[1]
        idx = convert(parse_data(gzip.decompress(open(d + "/Rdata.rdx", "rb").read())))
        off, n = [int(x) for x in idx["variables"]["movielens"]]
        raw = open(d + "/Rdata.rdb", "rb").read()[off:off + n]
        df = convert(parse_data(zlib.decompress(raw[4:])))
        print(len(df), int(df["userId"].sum()), int(df["movieId"].sum()), int(df["timestamp"].astype("int64").sum()))
        print(repr(float(df["rating"].sum())))
        print(df["genres"].iloc[0]); print(df["genres"].iloc[-1])
        """
        let out = try Python.run(script, arguments: [dir], interpreter: Python.project).split(separator: "\n")
        try #require(out.count == 4)
        #expect(String(out[0]) == "\(users.count) \(users.reduce(0, +)) \(movies.reduce(0, +)) \(times.reduce(0, +))")
        #expect(Double(String(out[1])) == ratings.reduce(0, +))
        #expect(String(out[2]) == genres.first!)
        #expect(String(out[3]) == genres.last!)
    }
}
