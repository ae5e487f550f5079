import Foundation
import TestSupport
import Testing
@testable import Benchmarks

/// Our Go rules against GnuGo 3.8 (Debian `gnugo`, over GTP) on 210 seeded 9×9 games: after every move of every
/// game, the legal points of both colours, the stones on the board and the captures agree; at the end (two passes)
/// the area score agrees with GnuGo's `final_score` under `--chinese-rules` on every game without seki (≥ 200; in a
/// seki GnuGo's score follows its own life-and-death judgement, not area counting).
///
/// Each game opens with 2–61 uniformly random legal moves (seeded: random play makes captures, ko fights and
/// suicide points common), then GnuGo plays both sides (level 0, `--capture-all-dead` so that no dead stones are left
/// for the score to judge, `--never-resign`) until two passes.
@Suite("go: rules vs GnuGo over GTP")
struct GoRulesTests {
    static let gnugo = "/usr/games/gnugo"
    /// 105 a shard: at least 100 of each shard's games end without seki (checked), so ≥ 200 games are scored.
    static let games = 210
    static let komi = 7.0

    /// Vertices of a GTP list answer, as a set.
    static func vertices(_ answer: String) -> Set<String> {
        Set(answer.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { $0.uppercased() })
    }

    /// Our legal points of `color`, as GTP vertices.
    static func legal(_ board: inout GoBoard, _ color: GoBoard.Stone) -> Set<String> {
        Set(board.points.filter { board.isLegal($0, for: color) }.map { board.vertex($0) })
    }

    static func stones(_ board: GoBoard, _ color: GoBoard.Stone) -> Set<String> {
        Set(board.points.filter { board[$0] == color }.map { board.vertex($0) })
    }

    /// GnuGo's `final_score` answer (`B+6.0`, `W+2.0`, `0`) as black minus white.
    static func parseScore(_ answer: String) -> Double? {
        if answer == "0" { return 0 }
        guard let value = Double(answer.dropFirst(2)) else { return nil }
        return answer.hasPrefix("B+") ? value : answer.hasPrefix("W+") ? -value : nil
    }

    @Test("legal points, stones, captures and final score agree with GnuGo (half of the games each)",
          arguments: [0, 1])
    func agreesWithGnuGo(shard: Int) throws {
        let engine = try GTPEngine(executable: Self.gnugo, arguments: [
            "--mode", "gtp", "--boardsize", "9", "--level", "0", "--chinese-rules", "--capture-all-dead", "--never-resign",
            "--komi", "\(Self.komi)", "--seed", "\(shard + 1)"])
        defer { engine.close() }
        var positions = 0, captures = 0, koBans = 0, suicides = 0, disagreements = 0
        var scored = 0, judged = 0
        for game in Swift.stride(from: shard, to: Self.games, by: 2) {
            try engine.send("clear_board")
            var board = GoBoard(size: 9)
            var state = UInt64(game) &* 0x9E37_79B9_7F4A_7C15 &+ 1
            func next(_ n: Int) -> Int {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int((state >> 33) % UInt64(n))
            }
            let opening = 2 + game % 60
            func check(_ context: @autoclosure () -> String) throws -> Bool {
                positions += 1
                let a = try engine.send(["all_legal black", "all_legal white", "list_stones black", "list_stones white",
                                         "captures black", "captures white"])
                for (k, color) in [GoBoard.Stone.black, .white].enumerated() {
                    let theirs = Self.vertices(a[k]), ours = Self.legal(&board, color)
                    let same = Self.stones(board, color) == Self.vertices(a[2 + k])
                    if ours != theirs || !same {
                        Issue.record("game \(game), \(context()): \(color) legal ours − GnuGo \(ours.subtracting(theirs)), GnuGo − ours \(theirs.subtracting(ours)); stones equal: \(same)")
                        disagreements += 1
                        return false
                    }
                }
                if board.koPoint != nil { koBans += 1 }
                for p in board.points where board[p] == .empty && p != board.koPoint && !board.isLegal(p) { suicides += 1 }
                if Int(a[4]) != board.capturedByBlack || Int(a[5]) != board.capturedByWhite {
                    let ours = "\(board.capturedByBlack)/\(board.capturedByWhite)"
                    Issue.record("game \(game), \(context()): captures ours \(ours), GnuGo \(a[4])/\(a[5])")
                    disagreements += 1
                    return false
                }
                return true
            }
            guard try check("start") else { continue }
            var ok = true
            for k in 0..<opening where ok {
                let legal = board.points.filter { board.isLegal($0) }
                guard !legal.isEmpty else { break }
                let p = legal[next(legal.count)]
                let color = board.toPlay == .black ? "black" : "white"
                let vertex = board.vertex(p)
                captures += board.play(p)
                try engine.send("play \(color) \(vertex)")
                ok = try check("random move \(k + 1) \(color) \(vertex)")
            }
            var moves = 0
            while ok && board.consecutivePasses < 2 && moves < 400 {
                let color = board.toPlay == .black ? "black" : "white"
                let answer = try engine.send("genmove \(color)").uppercased()
                moves += 1
                if answer == "PASS" {
                    board.pass()
                } else {
                    guard let p = board.point(vertex: answer), board.isLegal(p) else {
                        Issue.record("game \(game): GnuGo played \(answer) for \(color), illegal for us")
                        disagreements += 1
                        ok = false
                        break
                    }
                    captures += board.play(p)
                }
                ok = try check("GnuGo's \(color) \(answer)")
            }
            guard ok, board.consecutivePasses == 2 else { continue }
            // GnuGo judges seki (and any stone it still calls dead) by its own analysis, not by area counting: such
            // games are counted, not scored.
            let status = try engine.send(["final_status_list seki", "final_status_list dead"])
            if !status.allSatisfy(\.isEmpty) {
                judged += 1
                continue
            }
            let theirs = try #require(Self.parseScore(try engine.send("final_score")))
            let ours = board.score(komi: Self.komi)
            scored += 1
            if ours != theirs {
                Issue.record("game \(game): area score ours \(ours), GnuGo final_score \(theirs)")
                disagreements += 1
            }
        }
        #expect(disagreements == 0)
        #expect(scored >= 100 && scored + judged == Self.games / 2,
                "every game ends with two passes; \(scored) scored, \(judged) with seki or dead stones left to GnuGo's judgement")
        let exercised = "\(positions) positions, \(captures) captures, \(koBans) ko bans, \(suicides) suicide points"
        print("go rules vs GnuGo, shard \(shard): \(exercised); \(scored) games scored, \(judged) with seki")
        #expect(positions > 5_000 && captures > 500 && koBans > 10 && suicides > 100, "the games exercise the rules: \(exercised)")
    }

    @Test("the network's input planes agree with GnuGo: stones (list_stones), liberties of every stone (countlib), legal moves (all_legal); colour and last-move planes")
    func featuresAgreeWithGnuGo() throws {
        let engine = try GTPEngine(executable: Self.gnugo, arguments: [
            "--mode", "gtp", "--boardsize", "9", "--level", "0", "--chinese-rules", "--never-resign", "--seed", "7"])
        defer { engine.close() }
        let n = 81
        var planes = [Float](repeating: -1, count: GoFeatures.count(size: 9))
        var positions = 0, ataris = 0
        for game in 0..<12 {
            try engine.send("clear_board")
            var board = GoBoard(size: 9)
            var last: GoBoard.Point?
            var state = UInt64(game) &+ 77
            for move in 0..<120 where board.consecutivePasses < 2 {
                planes.withUnsafeMutableBufferPointer { GoFeatures.encode(&board, lastMove: last, into: $0.baseAddress!) }
                positions += 1
                let me = board.toPlay == .black ? "black" : "white", them = board.toPlay == .black ? "white" : "black"
                let a = try engine.send(["list_stones \(me)", "list_stones \(them)", "all_legal \(me)"])
                func plane(_ k: Int) -> Set<String> {
                    Set((0..<n).filter { planes[k * n + $0] == 1 }.map { board.vertex(board.point(row: $0 / 9, column: $0 % 9)) })
                }
                #expect(plane(0) == Self.vertices(a[0]) && plane(1) == Self.vertices(a[1]), "game \(game) move \(move): stones")
                #expect(plane(9) == Self.vertices(a[2]), "game \(game) move \(move): legal moves")
                #expect(plane(2) == Set(board.points.filter { board[$0] == .empty }.map { board.vertex($0) }))
                #expect(planes.allSatisfy { $0 == 0 || $0 == 1 })
                // Liberty planes: each stone in exactly one of its colour's three, the one GnuGo's countlib says.
                let stones = board.points.filter { board[$0] != .empty }
                let counts = try engine.send(stones.map { "countlib \(board.vertex($0))" }).map { Int($0) ?? -1 }
                for (p, libs) in zip(stones, counts) {
                    let i = GoFeatures.moveIndex(p, on: board)
                    let base = board[p] == board.toPlay ? 3 : 6
                    let expected = base + min(libs, 3) - 1
                    #expect((3...8).filter { planes[$0 * n + i] == 1 } == [expected],
                            "game \(game) move \(move): \(board.vertex(p)) has \(libs) liberties")
                    if libs == 1 { ataris += 1 }
                }
                #expect((0..<n).allSatisfy { planes[10 * n + $0] == (board.toPlay == .black ? 1 : 0) })
                #expect((0..<n).filter { planes[11 * n + $0] == 1 } == (last.map { [GoFeatures.moveIndex($0, on: board)] } ?? []))
                // Random moves for the first 30, then GnuGo's.
                if move < 30 {
                    let legal = board.points.filter { board.isLegal($0) }
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let p = legal[Int((state >> 33) % UInt64(legal.count))]
                    _ = board.play(p)
                    last = p
                    try engine.send("play \(me) \(board.vertex(p))")
                } else {
                    let answer = try engine.send("genmove \(me)").uppercased()
                    if answer == "PASS" { board.pass(); last = nil } else {
                        let p = try #require(board.point(vertex: answer))
                        _ = board.play(p)
                        last = p
                    }
                }
            }
        }
        #expect(positions > 600 && ataris > 100, "\(positions) positions, \(ataris) stones in atari")
    }

    @Test("GnuGo game files: a move that is not legal is one error naming the file, the line and the move")
    func gameFileErrors() throws {
        let dir = try Scratch.directory("go-games")
        let good = #"{"game":0,"level":1,"opening":2,"moves":["E5","D5","pass","pass"],"score":"B+1.0"}"#
        try (good + "\n").write(to: dir.appendingPathComponent("heldout.jsonl"), atomically: true, encoding: .utf8)
        let games = try GoGames.load(directory: dir.path, name: "heldout", hint: "make it")
        let (planes, moves, outcomes) = games.positions()
        #expect(moves == [81, 81] && planes.count == 2 * GoFeatures.count(size: 9))
        #expect(outcomes == [1, -1], "B+1.0: black (to play at the first GnuGo move) won")
        let bad = #"{"game":1,"level":1,"opening":2,"moves":["E5","E5"],"score":"0"}"#
        try (good + "\n" + bad + "\n").write(to: dir.appendingPathComponent("bootstrap.jsonl"), atomically: true, encoding: .utf8)
        #expect { try GoGames.load(directory: dir.path, name: "bootstrap", hint: "make it") } throws: { error in
            "\(error)".contains("bootstrap.jsonl:2") && "\(error)".contains("move 2 (E5)")
        }
        #expect { try GoGames.load(directory: dir.path, name: "missing", hint: "run scripts/setup.sh") } throws: { error in
            "\(error)".contains("missing.jsonl") && "\(error)".contains("run scripts/setup.sh")
        }
    }

    @Test("ko, suicide, capture and scoring on hand-made positions")
    func handMade() {
        var b = GoBoard(size: 5)
        func play(_ v: String) {
            let p = b.point(vertex: v)!
            let legal = b.isLegal(p)
            #expect(legal, "\(v)")
            b.play(p)
        }
        // A ko: black B3 C2 C4 around white C3, white D2 D4 E3 around D3; black D3 takes C3.
        for v in ["B3", "C3", "C2", "D2", "C4", "D4", "A1", "E3"] { play(v) }
        play("D3")
        #expect(b.capturedByBlack == 1 && b[b.point(vertex: "C3")!] == .empty)
        #expect(b.koPoint == b.point(vertex: "C3"), "D3 is a lone stone with one liberty: a ko")
        let retake = b.isLegal(b.point(vertex: "C3")!)
        #expect(!retake, "white may not retake at once")
        play("A5"); play("A4")  // white elsewhere, black elsewhere: the ban is over
        let later = b.isLegal(b.point(vertex: "C3")!)
        #expect(later)
        // Suicide: white A1 inside black A2 B1 captures nothing.
        var s = GoBoard(size: 3)
        for v in ["A2", "C3", "B1", "C1"] { let p = s.point(vertex: v)!; s.play(p) }
        let a1 = s.point(vertex: "A1")!
        let forWhite = s.isLegal(a1, for: .white), forBlack = s.isLegal(a1, for: .black)
        #expect(!forWhite && forBlack, "A1 is suicide for white, not for black")
        // Area scoring on an empty board: no region borders a colour.
        var e = GoBoard(size: 9)
        let empty = e.score(komi: 7)
        #expect(empty == -7)
        #expect(e.point(vertex: "I5") == nil && e.point(vertex: "J9") != nil && e.vertex(e.point(vertex: "j9")!) == "J9")
    }
}
