import MoegcIR

/// A compiled plan: what `moegc compile -o` writes and `moegc run` executes — the lowered, fused,
/// placed graph with each device's schedule, the cluster it was placed for, the transfers and
/// expected peak memory the simulator found, and (optionally) weight data.
public struct CompiledPlan: Sendable, Equatable {
    public struct Transfer: Sendable, Equatable {
        public var value: Int
        public var source: Int
        public var destination: Int
        public var bytes: Int
        public init(value: Int, source: Int, destination: Int, bytes: Int) {
            self.value = value
            self.source = source
            self.destination = destination
            self.bytes = bytes
        }
    }

    /// Row-major f32 data of one weight.
    public struct WeightData: Sendable, Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    public var execution: ExecutionPlan
    /// The cluster in its file format.
    public var clusterText: String
    public var transfers: [Transfer]
    /// Expected peak bytes per device.
    public var peakMemory: [Int]
    public var simulatedStepSeconds: Double
    public var seed: UInt64
    public var training: Bool
    public var placer: String
    public var source: String
    /// Weights with data, by `param` value name; the rest start from their init rule.
    public var weights: [String: WeightData]

    public init(execution: ExecutionPlan, clusterText: String, transfers: [Transfer] = [], peakMemory: [Int] = [],
                simulatedStepSeconds: Double = 0, seed: UInt64 = 0, training: Bool = true, placer: String = "",
                source: String = "", weights: [String: WeightData] = [:]) {
        self.execution = execution
        self.clusterText = clusterText
        self.transfers = transfers
        self.peakMemory = peakMemory
        self.simulatedStepSeconds = simulatedStepSeconds
        self.seed = seed
        self.training = training
        self.placer = placer
        self.source = source
        self.weights = weights
    }

    public var graph: Graph { execution.graph }
}

/// Why a plan file could not be read.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notAPlan, unsupportedVersion, corrupted, invalidGraph, invalidPlan
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
