import Testing
import MoegcIR
import MoegcPasses
import MoegcRuntime

/// The primitives imported models use (comparisons, logic, where, pow and the new unary ops,
/// gather along an axis, expand, gather/scatter by element and by index tuple, cumsum, one-hot,
/// trilu, integer constants, integer arithmetic), each on a small input against values written
/// out by hand from the op's definition. The ONNX backend conformance suite
/// (MoegcONNXTests/ConformanceTests) runs them on the standard's own cases as well.
struct ImportedPrimitiveTests {
    static let graph = """
    graph p (%a: f32[2, 3], %b: f32[3], %i: i32[2, 3], %j: i32[3]) -> (%eq, %lt, %le, %gt, %ge, %nt, %an, %o, %xo, %w, %pw, %ab, %rc, %ge0, %ge1, %sn, %cs, %ga, %gw, %ex, %gel, %gnd, %sel, %snd, %cu, %cx, %oh, %tu, %tl, %k, %id, %ii) {
      %eq = equal(%a, %b)
      %lt = less(%a, %b)
      %le = less_equal(%a, %b)
      %gt = greater(%a, %b)
      %ge = greater_equal(%a, %b)
      %nt = not(%i)
      %an = and(%i, %j)
      %o = or(%i, %j)
      %xo = xor(%i, %j)
      %w = where(%j, %a, %b)
      %pw = pow(%a, %b)
      %ab = abs(%a)
      %rc = reciprocal(%a)
      %ge0 = gelu(%a)
      %ge1 = gelu(%a) {approximate = tanh}
      %sn = sin(%a)
      %cs = cos(%a)
      %ga = gather(%a, %j) {axis = 1}
      %neg = constant() {values = [-1, 0]} : i32[2]
      %gw = gather(%a, %neg) {axis = 1, wrap_negative = true}
      %ex = expand(%b) {shape = [2, 1]}
      %gel = gather_elements(%a, %i) {axis = 1}
      %tup = constant() {values = [1, 2, 0, 0]} : i32[2, 2]
      %gnd = gather_nd(%a, %tup)
      %sel = scatter_elements(%a, %i, %a) {axis = 1, reduction = add}
      %row = constant() {values = [1]} : i32[1, 1]
      %upd = reshape(%b) {shape = [1, 3]}
      %snd = scatter_nd(%a, %row, %upd)
      %cu = cumsum(%a) {axis = 1}
      %cx = cumsum(%a) {axis = 1, exclusive = true, reverse = true}
      %hot = constant() {values = [0, 2, -1]} : i32[3]
      %vals = constant() {values = [0, 7]} : i32[2]
      %oh = one_hot(%hot, %vals) {depth = 3}
      %tu = trilu(%a)
      %tl = trilu(%a) {upper = false, k = -1}
      %k = constant() {values = [5]} : i32[2, 2]
      %two = constant() {values = [-2]} : i32[3]
      %id = div(%i, %two)
      %ii = sub(%i, %j)
    }
    """

    @Test func againstHandComputedValues() throws {
        var g = try Frontend.load(bytes: Array(ImportedPrimitiveTests.graph.utf8), path: "p.graph")
        try Lowering.run(&g, PassOptions(training: false), verify: true)
        let a: [Float] = [0.5, -1.5, 2.0, 1.0, 0.25, -0.75], b: [Float] = [0.5, 2.0, 2.0]
        let i: [Int32] = [2, 0, 1, 0, 1, 2], j: [Int32] = [1, 2, 0]
        let out = try ReferenceInterpreter(graph: g, seed: 0)
            .run([HostTensor([2, 3], floats: a), HostTensor([3], floats: b), HostTensor([2, 3], ints: i), HostTensor([3], ints: j)]).outputs
        func near(_ x: [Float], _ y: [Double], _ tol: Double = 1e-6) -> Bool {
            x.count == y.count && zip(x, y).allSatisfy { abs(Double($0) - $1) <= tol * max(1, abs($1)) }
        }
        #expect(out[0].ints == [1, 0, 1, 0, 0, 0])         // equal: 0.5 == 0.5, 2 == 2
        #expect(out[1].ints == [0, 1, 0, 0, 1, 1])
        #expect(out[2].ints == [1, 1, 1, 0, 1, 1])
        #expect(out[3].ints == [0, 0, 0, 1, 0, 0])
        #expect(out[4].ints == [1, 0, 1, 1, 0, 0])
        #expect(out[5].ints == [0, 1, 0, 1, 0, 0])
        #expect(out[6].ints == [1, 0, 0, 0, 1, 0])         // i ∧ j, j broadcast along rows
        #expect(out[7].ints == [1, 1, 1, 1, 1, 1])
        #expect(out[8].ints == [0, 1, 1, 1, 0, 1])
        #expect(out[9].floats == [0.5, -1.5, 2.0, 1.0, 0.25, 2.0])   // where(j, a, b)
        #expect(near(out[10].floats, a.indices.map { pow(Double(a[$0]), Double(b[$0 % 3])) }))
        #expect(out[11].floats == a.map { abs($0) })
        #expect(near(out[12].floats, a.map { 1 / Double($0) }))
        #expect(near(out[13].floats, a.map { Double($0) * 0.5 * (1 + erf(Double($0) / 2.0.squareRoot())) }, 1e-5))
        #expect(near(out[14].floats, a.map { x in let x = Double(x); return 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x))) }, 1e-5))
        #expect(near(out[15].floats, a.map { sin(Double($0)) }))
        #expect(near(out[16].floats, a.map { cos(Double($0)) }))
        #expect(out[17].shape == [2, 3] && out[17].floats == [-1.5, 2.0, 0.5, 0.25, -0.75, 1.0])   // columns j = 1, 2, 0
        #expect(out[18].shape == [2, 2] && out[18].floats == [2.0, 0.5, -0.75, 1.0])              // columns −1, 0
        #expect(out[19].shape == [2, 3] && out[19].floats == b + b)
        #expect(out[20].floats == [2.0, 0.5, -1.5, 1.0, 0.25, -0.75])   // a[r, i[r, c]]
        #expect(out[21].floats == [-0.75, 0.5])                          // a[1, 2], a[0, 0]
        #expect(out[22].floats == [-1.0, 0.5, 2.5, 2.0, 0.5, -1.5])      // a[r, i[r, c]] += a[r, c]
        #expect(out[23].floats == [0.5, -1.5, 2.0, 0.5, 2.0, 2.0])       // row 1 replaced by b
        #expect(near(out[24].floats, [0.5, -1.0, 1.0, 1.0, 1.25, 0.5]))
        #expect(near(out[25].floats, [0.5, 2.0, 0.0, -0.5, -0.75, 0.0]))   // exclusive, from the end
        #expect(out[26].shape == [3, 3] && out[26].ints == [7, 0, 0, 0, 0, 7, 0, 0, 7])
        #expect(out[27].floats == [0.5, -1.5, 2.0, 0, 0.25, -0.75])
        #expect(out[28].floats == [0, 0, 0, 1.0, 0, 0])
        #expect(out[29].ints == [5, 5, 5, 5])
        #expect(out[30].ints == [-1, 0, 0, 0, 0, -1])                     // truncated toward zero
        #expect(out[31].ints == [1, -2, 1, -1, -1, 2])
    }

    @Test func badIndicesAndDivisionAreErrors() throws {
        var g = try Frontend.load(bytes: Array("""
        graph e (%a: f32[2, 3], %i: i32[2, 3], %j: i32[3]) -> (%g, %d) {
          %g = gather_elements(%a, %i) {axis = 1}
          %d = div(%i, %j)
        }
        """.utf8), path: "e.graph")
        try Lowering.run(&g, PassOptions(training: false))
        let interp = try ReferenceInterpreter(graph: g, seed: 0)
        let a = HostTensor([2, 3], floats: [1, 2, 3, 4, 5, 6])
        func message(_ i: [Int32], _ j: [Int32]) -> String {
            do { _ = try interp.run([a, HostTensor([2, 3], ints: i), HostTensor([3], ints: j)]); return "no error" } catch { return error.message }
        }
        #expect(message([0, 1, 3, 0, 0, 0], [1, 1, 1]) == "index 3 out of range −3..<3 for the axis 1 of %g")
        #expect(message([0, 1, -4, 0, 0, 0], [1, 1, 1]) == "index -4 out of range −3..<3 for the axis 1 of %g")
        #expect(message([0, 1, 2, 0, 0, 0], [1, 0, 1]) == "integer division by zero at %d")
    }
}

#if canImport(Glibc)
import Glibc
#endif
