import ArgumentParser
import MoegcCompiler
import MoegcIR
import MoegcKernels
import MoegcPasses
import MoegcPlan
import MoegcRuntime
import MoegcSupport

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a compiled plan on the multithreaded runtime, or a model graph on the reference interpreter.",
        discussion: """
        A plan (`moegc compile model.graph -o model.plan`) runs on the runtime: one worker per \
        simulated device (devices share OS threads when --threads is smaller), values copied between \
        devices as the plan's transfers, fused elementwise chains in one pass; it prints the measured \
        step time (median of --steps) beside the simulated one, and --trace writes the real timeline \
        as a Chrome trace in the simulator's form. The plan's seed and mode apply. `--reference` runs \
        the plan's graph on the reference interpreter instead.

        `--backend mpi`, under `mpiexec -n R`, runs the plan across R processes: rank r runs device r \
        (or devices r·K ..< (r+1)·K with --devices-per-rank K, as threads), makes only its devices' \
        weights, and sends each value another rank reads as one tagged MPI message the moment it \
        exists. Rank 0 prints what a one-process run prints (outputs, step time, peak memory) and \
        writes --outputs and --trace (every rank's events, one track per device). A launch whose \
        rank count does not match the plan is an error on every rank; a rank not heard from for \
        --rank-timeout seconds (killed, crashed, hung) makes the others exit with an error naming it.

        A model graph needs `--reference`: it is lowered and run by the single-threaded reference \
        interpreter, the oracle every other executor is checked against. Inputs come from a JSON file (`{"tokens": [[…]], …}`, or \
        `{"name": {"shape": […], "data": […]}}`) or are drawn from the seed: token ids below the \
        smallest vocabulary of the model, N(0,1) floats otherwise. Weights follow each parameter's \
        init rule from the seed (the MoE gates start at zero, as in the paper, so routing starts \
        from the gate noise in training mode).

        Prints a summary of every output, and for each MoE layer the two auxiliary losses and the \
        per-expert load as Shazeer et al. report it: rows routed per expert, max/mean, CV of load \
        and of importance.
        """
    )

    @OptionGroup var input: GraphOptions

    @Flag(help: "Run the reference interpreter.")
    var reference = false

    @Option(help: ArgumentHelp("Read the inputs from a JSON file ('-' for standard input).", valueName: "file"))
    var inputs: String?

    @Option(help: ArgumentHelp("Write every output to a JSON file (atomically).", valueName: "file"))
    var outputs: String?

    @Flag(help: "Reject inputs holding NaN or infinity.")
    var checkInputs = false

    @Flag(help: "Print the OpenBLAS core in use and per-expert rows in full.")
    var verbose = false

    @Option(parsing: .unconditional, help: "Steps to run a plan (the median step time is reported).")
    var steps = 1

    @Option(parsing: .unconditional, help: "OS threads for a plan's devices (default: one per device).")
    var threads: Int?

    @Flag(help: "Print the report as JSON (schema \"moegc.run/1\": each step's time, the simulated step, every device's measured and planned peak, every output's summary; the tensors go to --outputs).")
    var json = false

    @Option(help: ArgumentHelp("Write a plan run's real timeline as a Chrome trace.", valueName: "file.json"))
    var trace: String?

    @Option(help: ArgumentHelp("Where a plan runs: 'threads' (this process) or 'mpi' (one rank per device, under mpiexec).", valueName: "backend"))
    var backend = "threads"

    @Option(parsing: .unconditional, help: "With --backend mpi: devices each rank runs, as threads (consecutive devices; default 1).")
    var devicesPerRank: Int?

    @Option(parsing: .unconditional, help: "With --backend mpi: seconds a silent rank is waited for before the others report it and exit (default 5).")
    var rankTimeout: Double?

    @OptionGroup var mode: ModeOptions

    func validate() throws {
        if !(1...1_000_000).contains(steps) { throw ValidationError("--steps must be in 1...1000000, got \(steps)") }
        if let threads, !(1...1024).contains(threads) { throw ValidationError("--threads must be in 1...1024, got \(threads)") }
        guard backend == "threads" || backend == "mpi" else { throw ValidationError("--backend must be 'threads' or 'mpi', got '\(backend)'") }
        if backend != "mpi" && (devicesPerRank != nil || rankTimeout != nil) {
            throw ValidationError("--devices-per-rank and --rank-timeout apply to --backend mpi")
        }
        if let devicesPerRank, !(1...1024).contains(devicesPerRank) { throw ValidationError("--devices-per-rank must be in 1...1024, got \(devicesPerRank)") }
        if let rankTimeout, !(rankTimeout >= 0.5 && rankTimeout <= 3600) { throw ValidationError("--rank-timeout must be in 0.5...3600 seconds, got \(rankTimeout)") }
        if backend == "mpi" && inputs == "-" {
            throw ValidationError("--inputs - reads standard input, which mpiexec gives rank 0 alone; with --backend mpi give a file every rank can read")
        }
        if backend == "mpi" && reference { throw ValidationError("--reference runs the reference interpreter in one process; --backend mpi runs a plan's devices as ranks") }
    }

    func run() throws {
        if verbose { Output.err(BLAS.summary) }
        // What the file is decides the executor: a missing, empty or unreadable file says so.
        let head = try orExit { Array(try FileIO.read(input.graph).prefix(PlanFile.magic.count)) }
        if head.isEmpty { Moegc.fail("\(input.graph): error: the file is empty: expected a compiled plan (`moegc compile MODEL.graph -o model.plan`) or, with --reference, a model graph") }
        if PlanFile.magic.starts(with: head) || head.starts(with: Array("MOEGC".utf8)) {
            return backend == "mpi" ? try runPlanOnRanks() : try runPlan()
        }
        if backend == "mpi" { Moegc.fail("\(input.graph): error: --backend mpi runs a compiled plan (`moegc compile \(input.graph) -o model.plan`)") }
        guard reference else { Moegc.fail("\(input.graph): error: a model graph runs on the reference interpreter: add --reference (or compile it to a plan with `moegc compile \(input.graph) -o model.plan`)") }
        if steps != 1 || threads != nil || trace != nil { Moegc.fail("error: --steps, --threads and --trace apply to plans, which run on the runtime") }
        var compilation = try input.load(mode.compilation(file: input.graph))
        try orExit { try compilation.lower() }
        let weights = input.dimensions.weights(for: input.graph, graph: compilation.graph)
        let run = try orExit("\(input.graph): ") {
            try GraphRun(source: compilation.source, lowered: compilation.graph, seed: mode.seed, weights: weights)
        }
        let values = try readInputs(source: run.source, graph: run.lowered)
        let result = try orExit("\(input.graph): ") {
            if checkInputs { try InputCheck.requireFinite(values, for: run.lowered) }
            return try run.run(values, training: !mode.evaluation, verbose: verbose)
        }
        try report(result.summary, graph: run.lowered, result.outputs, extra: result.moeReport)
    }

    func readInputs(source: Graph, graph: Graph, seed: UInt64? = nil) throws -> [HostTensor] {
        guard let inputs else {
            return RandomInputs.make(for: graph, vocabulary: RandomInputs.vocabulary(of: source), seed: seed ?? mode.seed)
        }
        // A FileError or TensorJSON.Failure says "path: error: …"; an ExecutionError names the
        // input and the position, so the inputs file goes before it.
        let values = try orExit { try TensorJSON.readInputs(try FileIO.read(inputs), path: inputs, for: graph) }
        return try orExit("\(inputs): ") {
            try InputCheck.validate(values, for: graph)
            try InputCheck.validateIndices(values, for: graph)
            return values
        }
    }
}
