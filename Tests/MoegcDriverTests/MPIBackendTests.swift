import Foundation
import CMPI
import MoegcIR
import MoegcPasses
import MoegcPlan
import MoegcRuntime
import MoegcSupport
import Testing

/// `moegc run plan --backend mpi` under `mpiexec` (MPICH, installed by `make deps`): each rank a
/// device (or K devices), the plan's transfers as MPI messages. Outputs must be bitwise the
/// reference interpreter's — the same kernels run on the same operands in the same order, only
/// the transport differs — compared as the `--outputs` JSON text, whose floats print as their
/// shortest round-trip decimal (equal text ⇔ equal bits, NaN aside). Skipped, saying so, where
/// `mpiexec` is missing.
/// MPICH's launcher by its own name first (`mpiexec` may be Open MPI's where both are installed).
let mpiexecPath: String? = ["/usr/bin/mpiexec.mpich", "/usr/bin/mpiexec"].first { FileManager.default.isExecutableFile(atPath: $0) }

@Suite(.serialized, .enabled(if: mpiexecPath != nil, "mpiexec is missing (make deps installs Debian's mpich)"))
struct MPIBackendTests {
    static var mpiexec: String? { mpiexecPath }

    /// A scratch folder, removed by the caller.
    static func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "moegc-mpi-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Starts `mpiexec -n ranks moegc …` (under `timeout`, so a hang fails the test instead of
    /// stalling the suite), its output going to files in `dir`.
    static func launch(ranks: Int, _ args: [String], in dir: String, launcher: [String] = [], limit: Int = 120,
                       environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        p.arguments = ["-s", "KILL", "\(limit)", mpiexec!] + launcher + ["-n", "\(ranks)", CLITests.binary] + args
        p.currentDirectoryURL = URL(fileURLWithPath: CLITests.root)
        FileManager.default.createFile(atPath: dir + "/stdout", contents: nil)
        FileManager.default.createFile(atPath: dir + "/stderr", contents: nil)
        p.standardOutput = FileHandle(forWritingAtPath: dir + "/stdout")
        p.standardError = FileHandle(forWritingAtPath: dir + "/stderr")
        try p.run()
        return p
    }

    static func mpirun(ranks: Int, _ args: [String], in dir: String, environment: [String: String] = [:]) throws -> CLITests.Run {
        let p = try launch(ranks: ranks, args, in: dir, environment: environment)
        p.waitUntilExit()
        return CLITests.Run(status: p.terminationStatus, stdout: (try? String(contentsOfFile: dir + "/stdout", encoding: .utf8)) ?? "",
                            stderr: (try? String(contentsOfFile: dir + "/stderr", encoding: .utf8)) ?? "")
    }

    /// The reference interpreter's outputs of a plan's graph, on the inputs `moegc run` draws from
    /// the plan's seed, as `--outputs` writes them.
    static func referenceJSON(_ plan: CompiledPlan) throws -> String {
        let g = plan.graph
        let inputs = RandomInputs.make(for: g, vocabulary: RandomInputs.vocabulary(of: g), seed: plan.seed)
        let outputs = try ReferenceInterpreter(graph: g, seed: plan.seed).run(inputs).outputs
        return TensorJSON.write(zip(g.outputs, outputs).map { (g[$0.0].name, $0.1) })
    }

    static let tinyGraphs = ((try? FileIO.list(CLITests.root + "/graphs")) ?? []).filter { $0.hasPrefix("tiny-") }.sorted()

    @Test func compiledTinyPlansMatchTheReferenceBitwise() throws {
        #expect(MPIBackendTests.tinyGraphs.count >= 5)
        for (i, file) in MPIBackendTests.tinyGraphs.enumerated() {
            let dir = try MPIBackendTests.scratch()
            defer { try? FileManager.default.removeItem(atPath: dir) }
            // 4 devices as 4 ranks, or as 2 ranks of 2 (threads), alternately.
            let c = try CLITests.moegc(["compile", "graphs/" + file, "--cluster", "k40x4", "--placer", "round-robin", "-o", dir + "/p.plan"])
            try #require(c.status == 0, "\(c.stderr)")
            let perRank = i % 2 == 0 ? 1 : 2
            let r = try MPIBackendTests.mpirun(ranks: 4 / perRank, ["run", dir + "/p.plan", "--backend", "mpi", "--devices-per-rank", "\(perRank)",
                                                                    "--steps", "2", "--outputs", dir + "/out.json"], in: dir)
            try #require(r.status == 0, "\(file): \(r.stderr)")
            #expect(r.stdout.contains("executor: MPI, \(4 / perRank) ranks of \(perRank) device"), "\(r.stdout)")
            #expect(r.stdout.contains("(median of 2)"))
            let expected = try MPIBackendTests.referenceJSON(try PlanFile.read(dir + "/p.plan"))
            #expect(try String(contentsOfFile: dir + "/out.json", encoding: .utf8) == expected, "\(file) on \(4 / perRank) ranks differs")
            // Rank 0 prints the outputs exactly as the threaded runtime does.
            let threaded = try CLITests.moegc(["run", dir + "/p.plan"])
            #expect(threaded.stdout.split(separator: "\n").drop { $0 != "outputs" } == r.stdout.split(separator: "\n").drop { $0 != "outputs" })
        }
    }

    @Test func randomPlansOnTwoToFourRanksMatchTheReferenceBitwise() throws {
        var rng = SeededGenerator(seed: 18)
        var plans = 0
        for round in 0..<5 {
            for file in MPIBackendTests.tinyGraphs {
                let training = round % 2 == 0
                let source = try Frontend.load(path: CLITests.root + "/graphs/" + file)
                var g = source
                try Lowering.run(&g, PassOptions(training: training))
                let ranks = 2 + rng.nextInt(below: 3)
                let perRank = rng.nextInt(below: 3) == 0 ? 2 : 1
                let execution = ExecutionPlan.random(g, devices: ranks * perRank, fusion: rng.nextDouble(), generator: &rng)
                let seed = UInt64(rng.nextInt(below: 1000))
                let plan = CompiledPlan(execution: execution, clusterText: "", seed: seed, training: training, placer: "random", source: file)
                let dir = try MPIBackendTests.scratch()
                defer { try? FileManager.default.removeItem(atPath: dir) }
                try PlanFile.write(plan, to: dir + "/p.plan")
                let r = try MPIBackendTests.mpirun(ranks: ranks, ["run", dir + "/p.plan", "--backend", "mpi", "--devices-per-rank", "\(perRank)",
                                                                  "--outputs", dir + "/out.json"], in: dir)
                try #require(r.status == 0, "\(file) plan \(plans): \(r.stderr)")
                let expected = try MPIBackendTests.referenceJSON(try PlanFile.read(dir + "/p.plan"))
                #expect(try String(contentsOfFile: dir + "/out.json", encoding: .utf8) == expected,
                        "\(file) random plan \(plans) (\(ranks) ranks × \(perRank) devices, training \(training), seed \(seed)) differs")
                plans += 1
            }
        }
        #expect(plans >= 20)
    }

    @Test func aWrongRankCountIsAnErrorOnEveryRank() throws {
        let dir = try MPIBackendTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try CLITests.moegc(["compile", "graphs/tiny-moe.graph", "--cluster", "cpu2", "--placer", "expert-parallel", "-o", dir + "/p.plan"])
        try #require(c.status == 0, "\(c.stderr)")
        let r = try MPIBackendTests.mpirun(ranks: 3, ["run", dir + "/p.plan", "--backend", "mpi"], in: dir)
        #expect(r.status == 1)
        let message = "error: the plan runs on 2 devices, and mpiexec started 3 ranks of one device per rank (3 devices): launch it with `mpiexec -n 2`"
        #expect(r.stderr.components(separatedBy: message).count - 1 == 3, "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let k = try MPIBackendTests.mpirun(ranks: 1, ["run", dir + "/p.plan", "--backend", "mpi", "--devices-per-rank", "3"], in: dir)
        #expect(k.status == 1)
        #expect(k.stderr.contains("--devices-per-rank 3 does not divide the plan's 2 devices"), "\(k.stderr)")
        // Without mpiexec the plain binary still runs plans on threads (MPI starts only for --backend mpi).
        let plain = try CLITests.moegc(["run", dir + "/p.plan"])
        #expect(plain.status == 0 && plain.stdout.contains("executor: runtime, 2 threads"), "\(plain.stderr)")
        let flag = try CLITests.moegc(["run", dir + "/p.plan", "--devices-per-rank", "2"])
        #expect(flag.status == 1 && flag.stderr.contains("--devices-per-rank and --rank-timeout apply to --backend mpi"), "\(flag.stderr)")
        let stdin = try CLITests.moegc(["run", dir + "/p.plan", "--backend", "mpi", "--inputs", "-"])
        #expect(stdin.status == 1 && stdin.stderr.contains("--inputs - reads standard input, which mpiexec gives rank 0 alone"), "\(stdin.stderr)")
    }

    /// Node events per device track of a Chrome trace (its `pid`s below `devices`).
    static func nodeEvents(_ path: String, devices: Int) throws -> [Int: Int] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        let events = (json as? [String: Any])?["traceEvents"] as? [[String: Any]] ?? (json as? [[String: Any]] ?? [])
        var counts: [Int: Int] = [:]
        for e in events where e["ph"] as? String == "X" {
            if let pid = e["pid"] as? Int, pid < devices { counts[pid, default: 0] += 1 }
        }
        return counts
    }

    @Test func traceHoldsEveryRanksNodes() throws {
        // The last step's timeline from all 4 ranks in one file: each device runs the same nodes
        // and fused chains as on the threaded runtime, so each track has as many node events.
        let dir = try MPIBackendTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try CLITests.moegc(["compile", "graphs/tiny-switch.graph", "--cluster", "k40x4", "--placer", "round-robin", "-o", dir + "/p.plan"])
        try #require(c.status == 0, "\(c.stderr)")
        let r = try MPIBackendTests.mpirun(ranks: 4, ["run", dir + "/p.plan", "--backend", "mpi", "--steps", "2", "--trace", dir + "/mpi.json"], in: dir)
        try #require(r.status == 0, "\(r.stderr)")
        let t = try CLITests.moegc(["run", dir + "/p.plan", "--trace", dir + "/threads.json"])
        try #require(t.status == 0, "\(t.stderr)")
        let ranks = try MPIBackendTests.nodeEvents(dir + "/mpi.json", devices: 4)
        #expect(ranks.count == 4 && ranks.values.allSatisfy { $0 > 0 }, "\(ranks)")
        #expect(ranks == (try MPIBackendTests.nodeEvents(dir + "/threads.json", devices: 4)))
    }

    @Test func eachRankHoldsOnlyItsDevicesWeightsAndValues() throws {
        // tiny-switch on 4 devices needs 108.77 KiB in one process (weights, packed copies, live
        // values); each rank of four needs at most 39 KiB. Under a 58.59 KiB limit the threaded
        // runtime refuses the plan and the ranks run it, with the reference's outputs.
        let dir = try MPIBackendTests.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try CLITests.moegc(["compile", "graphs/tiny-switch.graph", "--cluster", "k40x4", "--placer", "round-robin", "-o", dir + "/p.plan"])
        try #require(c.status == 0, "\(c.stderr)")
        let limit = ["MOEGC_MAX_MEMORY": "60000"]
        let one = try CLITests.moegc(["run", dir + "/p.plan"], environment: limit)
        #expect(one.status == 1 && one.stderr.contains("on 4 devices (weights 34.22 KiB, their packed copies 32.00 KiB, values live at once 42.55 KiB) needs 108.77 KiB"), "\(one.stderr)")
        let ranks = try MPIBackendTests.mpirun(ranks: 4, ["run", dir + "/p.plan", "--backend", "mpi", "--outputs", dir + "/out.json"], in: dir, environment: limit)
        try #require(ranks.status == 0, "\(ranks.stderr)")
        #expect(try String(contentsOfFile: dir + "/out.json", encoding: .utf8) == MPIBackendTests.referenceJSON(try PlanFile.read(dir + "/p.plan")))
        // Under 19.53 KiB no rank fits: each says what its own devices need.
        let tight = try MPIBackendTests.mpirun(ranks: 4, ["run", dir + "/p.plan", "--backend", "mpi"], in: dir, environment: ["MOEGC_MAX_MEMORY": "20000"])
        #expect(tight.status == 1)
        for d in 0..<4 { #expect(tight.stderr.contains("on 4 devices (device \(d) here) (weights"), "\(tight.stderr)") }
    }

    /// The pid of the rank `rank` of a run of `plan` (its environment has PMI_RANK), once it is up.
    static func rankProcess(_ rank: Int, plan: String, within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = Int32(entry),
                      let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                      let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
                let args = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                let env = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                if args.first == CLITests.binary, args.contains(plan), env.contains("PMI_RANK=\(rank)") { return pid }
            }
            usleep(50_000)
        }
        return nil
    }

    /// Starts a long run of a 4-device plan on 4 ranks, signals rank 1 with `signal` once the steps
    /// are under way, and returns the seconds until mpiexec ended, with its output.
    static func interruptRank(_ signal: Int32, timeout: String, launcher: [String] = []) throws -> (seconds: Double, run: CLITests.Run, pid: Int32) {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let c = try CLITests.moegc(["compile", "graphs/tiny-switch.graph", "--cluster", "k40x4", "--placer", "round-robin", "-o", dir + "/p4.plan"])
        try #require(c.status == 0, "\(c.stderr)")
        let p = try launch(ranks: 4, ["run", dir + "/p4.plan", "--backend", "mpi", "--steps", "1000000", "--rank-timeout", timeout],
                           in: dir, launcher: launcher, limit: 60)
        let victim = try #require(rankProcess(1, plan: dir + "/p4.plan", within: 20))
        usleep(1_500_000)   // into the steps
        #expect(p.isRunning)
        let start = Date()
        kill(victim, signal)
        p.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        if signal == SIGSTOP { kill(victim, SIGKILL) }   // our own stopped process, if the launcher left it
        let run = CLITests.Run(status: p.terminationStatus, stdout: (try? String(contentsOfFile: dir + "/stdout", encoding: .utf8)) ?? "",
                               stderr: (try? String(contentsOfFile: dir + "/stderr", encoding: .utf8)) ?? "")
        return (seconds, run, victim)
    }

    @Test func aKilledRankEndsTheRunWithinTenSeconds() throws {
        // MPICH's launcher sees the rank die and kills the others at once (SIGKILL, before any
        // watchdog could speak), reporting a bad termination; were it not to, the others'
        // watchdogs would name rank 1 (the next test).
        let (seconds, run, _) = try MPIBackendTests.interruptRank(SIGKILL, timeout: "5")
        #expect(seconds < 10, "the run went on \(seconds) s after rank 1 was killed")
        #expect(run.status != 0)
        let said = run.stdout + run.stderr
        #expect(said.contains("BAD TERMINATION") || said.contains("error: rank 1 (h0.gpu1) stopped answering"), "\(said)")
    }

    @Test func aHungRankIsNamedByTheOthersWatchdogs() throws {
        // A stopped rank: the launcher sees nothing; the other ranks' watchdogs hear no heartbeat
        // for --rank-timeout (3 s) and exit naming it (the first to exit makes the launcher kill
        // the rest, so some may not get to say it).
        let (seconds, run, _) = try MPIBackendTests.interruptRank(SIGSTOP, timeout: "3")
        #expect(seconds < 10, "the run went on \(seconds) s after rank 1 stopped")
        #expect(run.status != 0)
        let reports = run.stderr.split(separator: "\n").filter { $0.contains("stopped answering") }
        #expect(!reports.isEmpty, "\(run.stderr)")
        for line in reports {
            #expect(line.hasPrefix("error: rank 1 (h0.gpu1) stopped answering: nothing heard from it for 3."), "\(line)")
            #expect(["; rank 0 exits", "; rank 2 exits", "; rank 3 exits"].contains { line.hasSuffix($0) }, "\(line)")
        }
    }
}

/// The MPICH ABI constants CMPI compiles in (it loads libmpich.so.12 at run time and includes no
/// MPI header) are the installed mpi.h's, and so is the layout of MPI_Status it reads.
@Suite(.enabled(if: mpiHeader != nil, "MPICH's mpi.h is missing (make deps installs libmpich-dev)"))
struct MPIABITests {
    @Test func constantsAreTheInstalledHeaders() throws {
        let header = try String(contentsOfFile: mpiHeader!, encoding: .utf8)
        var defines: [String: String] = [:]
        for line in header.split(separator: "\n") where line.hasPrefix("#define ") {
            let parts = line.dropFirst(8).split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.count == 2 { defines[String(parts[0])] = String(parts[1].split(separator: "/*")[0]) }
        }
        let constants = String(cString: cmpi_abi_constants()).split(separator: "\n")
        #expect(constants.count == 13)
        for entry in constants {
            let (name, value) = (String(entry.split(separator: "=")[0]), String(entry.split(separator: "=")[1]))
            let expression = try #require(defines[name], "mpi.h defines no \(name)")
            // The value is the expression's last literal: ((MPI_Comm)0x44000000), (-2), 3.
            let literal = expression.split(whereSeparator: { !($0.isHexDigit || $0 == "x" || $0 == "-") }).last.map(String.init)
            #expect(literal == value, "\(name): mpi.h says \(expression), CMPI assumes \(value)")
        }
        let status = "typedef struct MPI_Status {\n    int count_lo;\n    int count_hi_and_cancelled;\n    int MPI_SOURCE;\n    int MPI_TAG;\n    int MPI_ERROR;\n} MPI_Status;"
        #expect(header.contains(status))
        #expect(header.contains("typedef int MPI_Comm;") && header.contains("typedef int MPI_Request;") && header.contains("typedef int MPI_Message;"))
    }
}

let mpiHeader: String? = ["/usr/include/x86_64-linux-gnu/mpich/mpi.h", "/usr/include/aarch64-linux-gnu/mpich/mpi.h", "/usr/include/mpich/mpi.h"]
    .first { FileManager.default.fileExists(atPath: $0) }
