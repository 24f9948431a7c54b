import ArgumentParser
import MoegcCompiler
import MoegcIR
import MoegcPasses
import MoegcPlan
import MoegcSupport

/// Every graph of a folder lowered, written as a plan, read back and compared: the plan round trip
/// at full size (the unit tests cover the small models), with file sizes and times.
struct BenchPlan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan round trip (write → read → identical) for every graph of a folder, with sizes and times.",
        discussion: "Each graph is lowered (training mode), fused, put on one device in graph order, encoded, decoded and compared (graph text, schedule, groups). Placement is not needed for the file format, so models too large for any one device still round-trip."
    )

    @Option(help: ArgumentHelp("The folder of .graph files.", valueName: "dir"))
    var graphs = "graphs"

    func run() throws {
        let files: [String]
        do { files = try FileIO.list(graphs).filter { $0.hasSuffix(".graph") } } catch {
            Output.err(error.description)
            throw ExitCode(1)
        }
        Output.out("| graph | nodes | plan file | write | read | identical |\n|---|---:|---:|---:|---:|---|")
        var allSame = true
        for f in files {
            var compilation: Compilation
            do {
                compilation = try Compilation.load(path: graphs + "/" + f)
                try compilation.fuse()
            } catch {
                Output.err(error.description)
                throw ExitCode(1)
            }
            let g = compilation.graph
            var e = ExecutionPlan.singleDevice(g)
            e.group = FusionPlan.annotated(g)?.group.map(Int.init)
            let plan = CompiledPlan(execution: e, clusterText: "", source: f)
            let clock = ContinuousClock()
            let t0 = clock.now
            let bytes = PlanFile.encode(plan)
            let t1 = clock.now
            let back: CompiledPlan
            do { back = try PlanFile.decode(bytes, path: f) } catch {
                Output.err(error.description)
                throw ExitCode(1)
            }
            let t2 = clock.now
            let same = GraphText.print(back.graph) == GraphText.print(plan.graph) && back.execution.order == e.order
                && back.execution.group == e.group && back.execution.device == e.device
            allSame = allSame && same
            func s(_ d: Duration) -> String { Quantity.seconds(Double(d / .nanoseconds(1)) * 1e-9) }
            Output.out("| \(f) | \(g.nodes.count) | \(Quantity.bytes(Double(bytes.count))) | \(s(t1 - t0)) | \(s(t2 - t1)) | \(same ? "yes" : "NO") |")
        }
        if !allSame { throw ExitCode(1) }
    }
}
