import MoegcSupport

/// Directed edges as two index arrays: edge `e` goes from `sources[e]` to `targets[e]`, both in
/// `0..<nodeCount`. This is all the graph a ``GATLayer`` sees; duplicate edges and self-loops are
/// allowed and count as separate neighbours.
public struct EdgeList: Sendable, Equatable {
    /// The tail of each edge.
    public let sources: [Int32]
    /// The head of each edge.
    public let targets: [Int32]
    /// The number of nodes (rows of the feature matrix).
    public let nodeCount: Int

    /// Edges over `nodeCount` nodes; every index must be in range.
    public init(sources: [Int32], targets: [Int32], nodeCount: Int) {
        precondition(sources.count == targets.count, "EdgeList: \(sources.count) sources, \(targets.count) targets")
        checkIndices(sources, below: nodeCount, "EdgeList")
        checkIndices(targets, below: nodeCount, "EdgeList")
        self.sources = sources
        self.targets = targets
        self.nodeCount = nodeCount
    }

    /// The number of edges.
    public var count: Int { sources.count }
}

/// A multi-head graph attention layer (GAT, Veličković et al.) that attends separately over each
/// node's in-neighbours and out-neighbours and adds a self term:
///
///     h'_i = act( W_self h_i + b
///                 + ‖_k Σ_{j → i} α^in_ij,k  (W_in h_j)_k
///                 + ‖_k Σ_{i → j} α^out_ij,k (W_out h_j)_k )
///     α^in_ij,k  = softmax over in-neighbours j of LeakyReLU(a^in_ctr,k · (W_in h_i)_k + a^in_nbr,k · (W_in h_j)_k)
///
/// (and α^out alike over out-neighbours with its own vectors). `‖_k` concatenates the `heads`
/// heads of `headSize` each, so the output width is `heads · headSize`; the two directions and the
/// self term are summed, not concatenated. A node without in- (or out-) neighbours gets 0 from that
/// direction. `a_ctr · Wh_i + a_nbr · Wh_j` is the usual `aᵀ[Wh_i ‖ Wh_j]` split in two halves.
///
/// Parameters under `name`: `self.weight [in, H·F]`, `self.bias [H·F]`, and for `d` in `in`, `out`:
/// `d.weight [in, H·F]`, `d.attnCenter [H, F]`, `d.attnNeighbor [H, F]`.
public struct GATLayer: Sendable, Equatable {
    /// The parameter name prefix.
    public let name: String
    /// Input feature width.
    public let inputSize: Int
    /// Number of attention heads.
    public let heads: Int
    /// Width of each head.
    public let headSize: Int
    /// Applied to the sum of the three terms.
    public let activation: Activation
    /// Slope of the LeakyReLU on attention scores.
    public let negativeSlope: Float
    private let selfTerm: Linear

    /// Output width, `heads · headSize`.
    public var outputSize: Int { heads * headSize }

    /// Registers the layer's parameters, drawing them from `generator`.
    public init(_ name: String, inputSize: Int, heads: Int, headSize: Int, activation: Activation = .identity,
                negativeSlope: Float = 0.2, parameters: inout ParameterStore, generator: inout SeededGenerator) {
        precondition(heads > 0 && headSize > 0, "GATLayer '\(name)': heads and headSize must be positive")
        self.name = name
        self.inputSize = inputSize
        self.heads = heads
        self.headSize = headSize
        self.activation = activation
        self.negativeSlope = negativeSlope
        let width = heads * headSize
        selfTerm = Linear("\(name).self", inputSize: inputSize, outputSize: width,
                          parameters: &parameters, generator: &generator)
        for direction in ["in", "out"] {
            let prefix = "\(name).\(direction)"
            parameters.add("\(prefix).weight", Initializer.glorotUniform(
                shape: [inputSize, width], fanIn: inputSize, fanOut: width, using: &generator))
            for vector in ["attnCenter", "attnNeighbor"] {
                parameters.add("\(prefix).\(vector)", Initializer.glorotUniform(
                    shape: [heads, headSize], fanIn: headSize, fanOut: 1, using: &generator))
            }
        }
    }

    /// Embeds node features `h [nodeCount, inputSize]` over `edges`, giving `[nodeCount, H·F]`.
    public func callAsFunction(_ h: Var, edges: EdgeList) -> Var {
        precondition(h.value.shape == [edges.nodeCount, inputSize],
                     "GATLayer '\(name)': features \(h.value.shape), expected [\(edges.nodeCount), \(inputSize)]")
        let incoming = attend(h, direction: "in", centers: edges.targets, neighbors: edges.sources,
                              nodeCount: edges.nodeCount)
        let outgoing = attend(h, direction: "out", centers: edges.sources, neighbors: edges.targets,
                              nodeCount: edges.nodeCount)
        return activation.apply(selfTerm(h) + incoming + outgoing)
    }

    /// One direction: every center node attends over the neighbours it shares an edge with.
    private func attend(_ h: Var, direction: String, centers: [Int32], neighbors: [Int32], nodeCount: Int) -> Var {
        let tape = h.tape
        let prefix = "\(name).\(direction)"
        let z = h.matmul(tape.parameter("\(prefix).weight"))                       // [N, H·F]
        let centerScore = z.headDot(tape.parameter("\(prefix).attnCenter"))       // [N, H]
        let neighborScore = z.headDot(tape.parameter("\(prefix).attnNeighbor"))   // [N, H]
        let scores = (centerScore.gatherRows(centers) + neighborScore.gatherRows(neighbors))
            .leakyReLU(slope: negativeSlope)                                          // [E, H]
        let alpha = scores.segmentSoftmax(segments: centers, segmentCount: nodeCount)
        return z.weightedEdgeSum(weights: alpha, sources: neighbors, targets: centers, targetCount: nodeCount)
    }
}
