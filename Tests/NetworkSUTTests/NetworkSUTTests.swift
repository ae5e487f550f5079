import Foundation
import MLLog
import NIOCore
@testable import NetworkSUT
import TestSupport
import Testing

@Suite("--sut addresses")
struct AddressTests {
    @Test("kserve-v2 and openai addresses parse; the model is the last path component or comes from --model")
    func parses() throws {
        let k = try SUTAddress(parsing: "kserve-v2:http://127.0.0.1:8080/fashion-mnist")
        #expect(k == SUTAddress(networkProtocol: .kserveV2, baseURL: "http://127.0.0.1:8080", model: "fashion-mnist"))
        let full = try SUTAddress(parsing: "kserve-v2:http://h:1/v2/models/m/")
        #expect(full.baseURL == "http://h:1" && full.model == "m")
        let o = try SUTAddress(parsing: "openai:http://localhost:8000/v1")
        #expect(o == SUTAddress(networkProtocol: .openai, baseURL: "http://localhost:8000", model: nil))
    }

    @Test("bad addresses say what is wrong", arguments: [
        ("http://x:1/m", "unknown protocol `http`"), ("x", "no protocol before the URL"), ("grpc:http://x:1/m", "unknown protocol `grpc`"),
        ("kserve-v2:x:1/m", "must start with http://"), ("kserve-v2:http://x:1", "must end with the model name"),
        ("openai:http://", "no host"),
    ])
    func rejects(_ input: String, _ expected: String) {
        #expect { try SUTAddress(parsing: input) } throws: { "\($0)".contains(expected) }
    }
}

@Suite("server-sent events")
struct ServerSentEventTests {
    func events(_ parts: [String]) -> [String] {
        var parser = ServerSentEventParser()
        var out: [String] = []
        for p in parts { parser.consume(Array(p.utf8)) { out.append(String(decoding: $0, as: UTF8.self)) } }
        return out
    }

    @Test("events end at a blank line, whatever the line ends and wherever the parts split")
    func framing() {
        let stream = "data: {\"a\":1}\n\ndata: two\r\ndata: lines\r\n\r\n: comment\nevent: x\nid: 3\ndata:[DONE]\r\r"
        let expected = ["{\"a\":1}", "two\nlines", "[DONE]"]
        #expect(events([stream]) == expected)
        // Every split point, including inside a CRLF.
        let bytes = Array(stream)
        for cut in 1..<bytes.count {
            #expect(events([String(bytes[..<cut]), String(bytes[cut...])]) == expected, "split at \(cut)")
        }
        #expect(events(Array(stream).map { String($0) }) == expected, "one byte per part")
    }

    @Test("an event without its blank line is not dispatched, and its bytes are reported")
    func unfinished() {
        var parser = ServerSentEventParser()
        var n = 0
        parser.consume(Array("data: {\"partial\"".utf8)) { _ in n += 1 }
        #expect(n == 0 && parser.pendingBytes > 0)
    }
}

@Suite("prompt sets")
struct PromptSetTests {
    @Test("synthetic prompts are seeded: the same seed gives the same prompts, lengths stay in range")
    func synthetic() {
        let a = PromptSet.synthetic(count: 50, inputWords: 3...9, outputTokens: 4...6, seed: 7)
        let b = PromptSet.synthetic(count: 50, inputWords: 3...9, outputTokens: 4...6, seed: 7)
        let c = PromptSet.synthetic(count: 50, inputWords: 3...9, outputTokens: 4...6, seed: 8)
        #expect(a.prompts == b.prompts && a.prompts != c.prompts)
        for p in a.prompts {
            #expect((3...9).contains(p.text.split(separator: " ").count) && (4...6).contains(p.maxTokens))
        }
        #expect(Set(a.prompts.map(\.maxTokens)).count == 3 && Set(a.prompts.map { $0.text.split(separator: " ").count }).count > 4)
    }

    @Test("prompt files: JSON Lines and plain lines; a bad line is named with its number")
    func files() throws {
        let dir = try Scratch.directory("prompts").path
        let good = dir + "/good.jsonl"
        try "{\"prompt\": \"say \\\"hi\\\"\", \"max_tokens\": 5}\n\nplain text line\n".write(toFile: good, atomically: true, encoding: .utf8)
        let set = try PromptSet.load(path: good, defaultMaxTokens: 9)
        #expect(set.prompts == [Prompt(text: "say \"hi\"", maxTokens: 5), Prompt(text: "plain text line", maxTokens: 9)])
        // Windows line endings: the same prompts, and a bad line still named by its number.
        try "{\"prompt\": \"say \\\"hi\\\"\", \"max_tokens\": 5}\r\n\r\nplain text line\r\n".write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try PromptSet.load(path: good, defaultMaxTokens: 9).prompts == set.prompts)
        try "ok\r\n{\"prompt\": 3}\r\n".write(toFile: dir + "/crlf.jsonl", atomically: true, encoding: .utf8)
        #expect { try PromptSet.load(path: dir + "/crlf.jsonl", defaultMaxTokens: 1) } throws: { "\($0)".contains("crlf.jsonl:2:") }
        for (text, expected) in [("ok\n{\"prompt\": 3}\n", "bad.jsonl:2: expected a string field `prompt`"),
                                 ("{\"prompt\": \"a\", \"max_tokens\": 0}\n", "bad.jsonl:1: `max_tokens` must be an integer ≥ 1"),
                                 ("{\"prompt\": \"a\"\n", "bad.jsonl:1: not a JSON object"), ("\n\n", "bad.jsonl:0: no prompts")] {
            try text.write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
            #expect { try PromptSet.load(path: dir + "/bad.jsonl", defaultMaxTokens: 1) } throws: { "\($0)".contains(expected) }
        }
        #expect { try PromptSet.load(path: dir + "/missing", defaultMaxTokens: 1) } throws: { "\($0)".contains("cannot read") }
    }
}

@Suite("request gate")
struct RequestGateTests {
    @Test("at most `limit` requests run; the others start first in, first out as slots free")
    func fifo() {
        let gate = RequestGate(limit: 2)
        var started: [Int] = []
        for i in 0..<5 { gate.submit { started.append(i) } }
        #expect(started == [0, 1])
        gate.release()
        #expect(started == [0, 1, 2])
        gate.release(); gate.release()
        #expect(started == [0, 1, 2, 3, 4])
        gate.release(); gate.release()
        gate.submit { started.append(5) }
        #expect(started.last == 5, "a free slot runs a new request at once")
    }
}

@Suite("KServe v2 JSON")
struct KServeJSONTests {
    @Test("outputs decode flat or nested; another request's id, a wrong batch or non-numbers are refused")
    func decode() throws {
        func buf(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }
        let flat = #"{"id":"7","outputs":[{"name":"x","shape":[2,2],"data":[1,2,3,4]},{"name":"logits","shape":[2,3],"data":[[1,2,3],[4,5,6.5]]}]}"#
        #expect(try KServeV2SUT.decodeOutput(buf(flat), expectedID: "7", output: "logits", samples: 2) == [1, 2, 3, 4, 5, 6.5])
        #expect(try KServeV2SUT.decodeOutput(buf(flat), expectedID: "7", output: nil, samples: 2) == [1, 2, 3, 4])
        #expect { try KServeV2SUT.decodeOutput(buf(flat), expectedID: "8", output: nil, samples: 2) } throws: {
            "\($0)".contains("response for an unknown request: id 7, the request was 8")
        }
        #expect { try KServeV2SUT.decodeOutput(buf(flat), expectedID: "7", output: nil, samples: 3) } throws: {
            "\($0)".contains("output shape [2, 2] for a batch of 3")
        }
        #expect { try KServeV2SUT.decodeOutput(buf(#"{"outputs":[{"data":["a"]}]}"#), expectedID: "1", output: nil, samples: 1) } throws: {
            "\($0)".contains("non-numeric")
        }
        #expect { try KServeV2SUT.decodeOutput(buf("{oops"), expectedID: "1", output: nil, samples: 1) } throws: {
            "\($0)".contains("not a JSON object")
        }
    }
}

@Suite("request log")
struct RequestLogTests {
    @Test("server time counts from the end of the upload, or from the request head when the response head came first")
    func serverTime() throws {
        let log = RequestLog()
        // Upload done at 3 ms, head at 5 ms: 2 ms. Then a response head (4 ms) reported before the upload's end (6 ms):
        // from the request head (1 ms), 3 ms, never a wrapped-around negative.
        var a = RequestLog.Record(samples: 1, createdNs: 0, encodedNs: 0, sentNs: 1_000_000, headNs: 5_000_000,
                                  doneNs: 6_000_000, failed: false)
        a.bodySentNs = 3_000_000
        var b = RequestLog.Record(samples: 1, createdNs: 0, encodedNs: 0, sentNs: 1_000_000, headNs: 4_000_000,
                                  doneNs: 7_000_000, failed: false)
        b.bodySentNs = 6_000_000
        log.add(a)
        log.add(b)
        guard case .object(let fields) = log.summary(),
              case .object(let server)? = fields.first(where: { $0.key == "server_time_ms" })?.value,
              case .double(let mean)? = server.first(where: { $0.key == "mean" })?.value else {
            Issue.record("no server_time_ms mean in \(log.summary())")
            return
        }
        #expect(abs(mean - 2.5) < 1e-9)
    }
}
