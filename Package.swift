// swift-tools-version:6.0
// moegc — a computational-graph compiler for Mixture-of-Experts models with learned placement.
//
// Modules in pipeline order (README "Architecture" walks them one line each):
//   CBLAS          system library: OpenBLAS (cblas_sgemm, openblas_get_corename)
//   MoegcSupport   seeded random numbers, files, diagnostics, statistics, traces, terminal output
//   MoegcIR        graph IR, op registry, `.graph` lexer/parser/printer, verifier
//   MoegcPasses    pass manager and passes, one a file (shape inference, lowering, fusion, …)
//   CMoegcGemm     C: sgemm against a weight matrix packed once, the attention's row softmax (AVX-512 / AVX2 / portable)
//   MoegcKernels   CPU kernels on OpenBLAS and CMoegcGemm, BLAS core selection
//   MoegcSim       cluster specs, cost model, discrete-event simulator, lower bounds, traces
//   CMetis         system library: METIS k-way graph partitioning (METIS_PartGraphKway)
//   MoegcPlacement IR → cost graph adaptor, MoE bounds, heuristic placers and their sweep
//   CMoegcProto    protoc-c generated code of the binary formats (plans, policy checkpoints), on libprotobuf-c
//   MoegcProto     the Swift side of the protobuf-c formats (C arena, copies, f32 encoding), shared
//   MoegcPlan      the compiled plan (built from a placement): what the runtime executes, and its file format
//   MoegcRuntime   executes lowered graphs: the op→kernel table, the reference interpreter, the runtime
//   CMPI           C: MPICH loaded at run time (dlopen of libmpich.so.12, its ABI), imported only by MoegcDistributed
//   MoegcDistributed the MPI backend: a plan's devices as ranks, its transfers as tagged messages
//   MoegcONNX      the ONNX front end: decodes a model (protobuf-c), imports it as primitives and weights
//   MoegcModels    generators of model-graph families (training and evaluation sets for the policy)
//   MoegcNN        tensors, reverse-mode autodiff, layers, Adam, on MoegcKernels' kernels (knows nothing of graphs)
//   MoegcReport    the placement report: one self-contained HTML file (inline SVG) of a placed plan
//   MoegcPolicy    learned placement: featurizer, GAT + segment-recurrent-attention policy, PPO, checkpoints
//   MoegcCompiler  the compilation: the stages from a front end's graph to the plan, placer choice, reports
//   MoegcBench     the benchmarks (`moegc bench …`), side by side in one run
//   MoegcDriver    the command-line driver: flags → compilation → printing
//   moegc          the executable (a thin main around MoegcDriver)
import PackageDescription

let package = Package(
    name: "moegc",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "moegc", targets: ["moegc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CMetis", path: "Sources/CMetis", providers: [.apt(["libmetis-dev"])]),
        .target(name: "MoegcSupport"),
        .target(name: "MoegcIR", dependencies: ["MoegcSupport"]),
        .target(name: "MoegcPasses", dependencies: ["MoegcIR", "MoegcSupport"]),
        .target(name: "CMoegcGemm", path: "Sources/CMoegcGemm", exclude: ["README.md"]),
        .target(name: "MoegcKernels", dependencies: ["CBLAS", "CMoegcGemm", "MoegcSupport"]),
        .target(name: "MoegcSim", dependencies: ["MoegcSupport", .product(name: "HeapModule", package: "swift-collections")]),
        .target(name: "MoegcPlacement", dependencies: ["MoegcIR", "MoegcPasses", "MoegcSim", "MoegcSupport", "CMetis", .product(name: "HeapModule", package: "swift-collections")]),
        .target(name: "MoegcNN", dependencies: ["MoegcKernels", "MoegcSupport"]),
        .target(name: "CMoegcProto", path: "Sources/CMoegcProto", exclude: ["proto", "README.md"],
                linkerSettings: [.linkedLibrary("protobuf-c")]),
        .target(name: "MoegcProto", dependencies: ["CMoegcProto"]),
        .target(name: "MoegcPlan", dependencies: ["MoegcIR", "MoegcPlacement", "MoegcSim", "MoegcSupport", "CMoegcProto", "MoegcProto"]),
        .target(name: "MoegcReport", dependencies: ["MoegcIR", "MoegcPasses", "MoegcSim", "MoegcPlacement", "MoegcPlan", "MoegcSupport"]),
        .target(name: "MoegcPolicy", dependencies: ["MoegcNN", "MoegcSim", "MoegcIR", "MoegcPasses", "MoegcPlacement", "MoegcKernels", "MoegcSupport", "CMoegcProto", "MoegcProto"]),
        .target(name: "MoegcCompiler", dependencies: ["MoegcIR", "MoegcPasses", "MoegcSim", "MoegcPlacement", "MoegcPolicy", "MoegcPlan", "MoegcSupport"]),
        .target(name: "MoegcRuntime", dependencies: ["MoegcIR", "MoegcPasses", "MoegcPlan", "MoegcKernels", "MoegcSupport"]),
        .target(name: "CMPI", path: "Sources/CMPI", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "MoegcDistributed", dependencies: ["CMPI", "MoegcRuntime", "MoegcPlan", "MoegcIR", "MoegcSupport"]),
        .target(name: "MoegcONNX", dependencies: ["MoegcIR", "MoegcPlan", "MoegcRuntime", "MoegcSupport", "CMoegcProto", "MoegcProto"]),
        .target(name: "MoegcModels", dependencies: ["MoegcSupport"]),
        .target(name: "MoegcBench", dependencies: ["MoegcIR", "MoegcPasses", "MoegcKernels", "MoegcSim", "MoegcPlacement", "MoegcPlan", "MoegcRuntime", "MoegcPolicy", "MoegcCompiler", "MoegcSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "MoegcDriver", dependencies: ["MoegcIR", "MoegcPasses", "MoegcKernels", "MoegcSim", "MoegcPlacement", "MoegcPlan", "MoegcRuntime", "MoegcDistributed", "MoegcModels", "MoegcONNX", "MoegcPolicy", "MoegcCompiler", "MoegcBench", "MoegcReport", "MoegcSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "moegc", dependencies: ["MoegcDriver", "MoegcKernels", "MoegcSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "moegc-fuzz", dependencies: ["MoegcIR", "MoegcPasses", "MoegcSim", "MoegcPlacement", "MoegcPlan", "MoegcRuntime", "MoegcONNX", "MoegcPolicy", "MoegcSupport"],
                          path: "Sources/Fuzz"),

        .testTarget(name: "MoegcIRTests", dependencies: ["MoegcIR", "MoegcPasses", "MoegcSupport"]),
        .testTarget(name: "MoegcKernelsTests", dependencies: ["MoegcKernels", "MoegcSupport"]),
        .testTarget(name: "MoegcNNTests", dependencies: ["MoegcNN", "MoegcKernels", "CMoegcGemm", "MoegcSupport"]),
        .testTarget(name: "MoegcRuntimeTests", dependencies: ["MoegcRuntime", "MoegcPlan", "MoegcPasses", "MoegcPlacement", "MoegcSim", "MoegcIR", "MoegcKernels", "MoegcSupport"]),
        .testTarget(name: "MoegcPlanTests", dependencies: ["MoegcPlan", "MoegcPasses", "MoegcIR", "MoegcSupport"]),
        .testTarget(name: "MoegcSimTests", dependencies: ["MoegcSim", "MoegcSupport"]),
        .testTarget(name: "MoegcPolicyTests", dependencies: ["MoegcPolicy", "MoegcPlacement", "MoegcPasses", "MoegcCompiler", "MoegcIR", "MoegcNN", "MoegcSim", "MoegcSupport"]),
        .testTarget(name: "MoegcPlacementTests", dependencies: ["MoegcPlacement", "MoegcPasses", "MoegcSim", "MoegcIR", "MoegcCompiler", "MoegcSupport"]),
        .testTarget(name: "MoegcReportTests", dependencies: ["MoegcReport", "MoegcCompiler", "MoegcPlacement", "MoegcPlan", "MoegcSim", "MoegcIR", "MoegcSupport"]),
        .testTarget(name: "MoegcModelsTests", dependencies: ["MoegcModels", "MoegcPasses", "MoegcIR"]),
        .testTarget(name: "MoegcDriverTests", dependencies: ["MoegcDriver", "MoegcKernels", "MoegcONNX", "MoegcRuntime", "MoegcIR", "MoegcPlan", "MoegcPasses", "MoegcSim", "MoegcSupport", "CMPI"]),
        .testTarget(name: "MoegcONNXTests", dependencies: ["MoegcONNX", "MoegcRuntime", "MoegcPasses", "MoegcIR", "MoegcPlan", "MoegcSupport"],
                    exclude: ["Conformance", "Fixtures", "BadModels"]),
    ],
    swiftLanguageModes: [.v6]
)

// Every module names each module whose members it uses (an extension method seen only through
// another import is an error, not a silent dependency).
for target in package.targets where target.type != .system && target.type != .binary {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
