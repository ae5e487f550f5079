import Datasets

/// MovieLens ml-latest-small (100,004 ratings, 671 users, 9,066 movies) from Debian's `r-cran-dslabs`, prepared
/// as MLPerf NCF prepares MovieLens: implicit feedback, leave-one-out, 100 sampled test negatives per user. The
/// rules are in docs/datasets.md (`ncf`); `references/pytorch/movielens_data.py` implements them independently.
public struct MovieLens: Sendable {
    public static let negativesPerUser = 100
    /// SplitMix64 seed of the test negatives (`"ncf"`).
    public static let negativeSeed: UInt64 = 0x6E6366
    public static let expectedRatings = 100_004
    public static let expectedUsers = 671
    public static let expectedItems = 9_066

    public let userCount: Int
    public let itemCount: Int
    /// Training positives `(user, item)`, by user, then (timestamp, item).
    public let trainUsers: [Int32]
    public let trainItems: [Int32]
    /// Each user's test positive.
    public let testPositive: [Int32]
    /// Each user's 100 test negatives, in draw order: `userCount × 100`.
    public let testNegatives: [Int32]
    /// Per user, the items they rated (train and test), sorted: for training negatives.
    public let rated: [[Int32]]

    /// Reads `movielens` from the lazy-load data base in `directory` and prepares it.
    /// - Throws: `DatasetError` naming the file (missing with `hint`, corrupt, or not the published data set).
    public static func load(directory: String, hint: String) throws -> MovieLens {
        let db = try RLazyLoadDB(directory: directory, hint: hint)
        let frame = try RDataFrame(db.object("movielens"), path: db.rdbPath + " (movielens)")
        let users = try frame.integers("userId"), movies = try frame.integers("movieId")
        let times = try frame.integers("timestamp")
        guard frame.rowCount == expectedRatings else {
            throw DatasetError.badValue(path: db.rdbPath, detail: "movielens has \(frame.rowCount) ratings, "
                                        + "expected \(expectedRatings) (ml-latest-small in r-cran-dslabs 0.7.4)")
        }
        return try prepare(users: users, movies: movies, timestamps: times, path: db.rdbPath)
    }

    /// The leave-one-out preparation over raw columns (one rating per row).
    /// - Throws: `DatasetError.badValue` for columns of different lengths, a repeated (user, movie), a user with fewer
    ///   than 2 ratings, or fewer than 100 unrated movies (no test negatives to draw).
    public static func prepare(users: [Int], movies: [Int], timestamps: [Int], path: String) throws -> MovieLens {
        guard users.count == movies.count, users.count == timestamps.count else {
            throw DatasetError.badValue(path: path, detail: "columns of different lengths (userId \(users.count), "
                                        + "movieId \(movies.count), timestamp \(timestamps.count))")
        }
        let userIDs = Array(Set(users)).sorted(), movieIDs = Array(Set(movies)).sorted()
        var userIndex: [Int: Int32] = [:], movieIndex: [Int: Int32] = [:]
        for (i, u) in userIDs.enumerated() { userIndex[u] = Int32(i) }
        for (i, m) in movieIDs.enumerated() { movieIndex[m] = Int32(i) }
        var perUser = [[(time: Int, item: Int32)]](repeating: [], count: userIDs.count)
        for r in 0..<users.count {
            perUser[Int(userIndex[users[r]]!)].append((timestamps[r], movieIndex[movies[r]]!))
        }
        var trainUsers: [Int32] = [], trainItems: [Int32] = [], testPositive: [Int32] = [], rated: [[Int32]] = []
        trainUsers.reserveCapacity(users.count)
        trainItems.reserveCapacity(users.count)
        for (u, ratings) in perUser.enumerated() {
            let sorted = ratings.sorted { ($0.time, $0.item) < ($1.time, $1.item) }
            let items = sorted.map(\.item).sorted()
            if let dup = zip(items, items.dropFirst()).first(where: { $0 == $1 }) {
                throw DatasetError.badValue(path: path, detail: "user \(userIDs[u]) rated movie \(movieIDs[Int(dup.0)]) twice")
            }
            guard sorted.count >= 2 else {
                throw DatasetError.badValue(path: path, detail: "user \(userIDs[u]) has \(sorted.count) rating(s); "
                                            + "leave-one-out needs at least 2")
            }
            for r in sorted.dropLast() { trainUsers.append(Int32(u)); trainItems.append(r.item) }
            testPositive.append(sorted.last!.item)
            rated.append(items)
        }
        var rng = SplitMix64(seed: negativeSeed)
        var negatives: [Int32] = []
        negatives.reserveCapacity(userIDs.count * negativesPerUser)
        let itemCount = UInt64(movieIDs.count)
        for u in 0..<userIDs.count {
            guard movieIDs.count - rated[u].count >= negativesPerUser else {
                throw DatasetError.badValue(path: path, detail: "user \(userIDs[u]) rated \(rated[u].count) of \(movieIDs.count) "
                                            + "movies: fewer than \(negativesPerUser) are left to draw test negatives from")
            }
            var drawn: Set<Int32> = []
            while drawn.count < negativesPerUser {
                let item = Int32(rng.next() % itemCount)
                if binarySearch(rated[u], item) || drawn.contains(item) { continue }
                drawn.insert(item)
                negatives.append(item)
            }
        }
        return MovieLens(userCount: userIDs.count, itemCount: movieIDs.count, trainUsers: trainUsers,
                         trainItems: trainItems, testPositive: testPositive, testNegatives: negatives, rated: rated)
    }

    /// The canonical text dump that `references/pytorch/movielens_data.py --dump` writes too (tests diff them).
    public func dump() -> String {
        var s = "users \(userCount) items \(itemCount)\n"
        for u in 0..<userCount {
            s += "\(u) \(testPositive[u])"
            for k in 0..<Self.negativesPerUser { s += " \(testNegatives[u * Self.negativesPerUser + k])" }
            s += "\n"
        }
        for i in 0..<trainUsers.count { s += "\(trainUsers[i]) \(trainItems[i])\n" }
        return s
    }
}

/// Whether sorted `values` contains `x`.
func binarySearch(_ values: [Int32], _ x: Int32) -> Bool {
    var lo = 0, hi = values.count
    while lo < hi {
        let mid = (lo + hi) / 2
        if values[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo < values.count && values[lo] == x
}
