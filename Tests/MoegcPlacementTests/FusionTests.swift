import MoegcIR
import MoegcPasses
import Testing

/// The fusion pass, IR in → IR out, with the cases it must refuse (`dont_…`).
struct FusionTests {
    /// Fuses `input` and returns the printed result.
    func fused(_ input: String) throws -> String {
        var g = try Fixture.graph(input)
        _ = try fusion.run(&g, PassOptions())
        #expect(Verifier.verify(g, file: "<test>").isEmpty)
        return GraphText.print(g)
    }

    @Test func matmulEpilogueAndWeightsFuseIntoOneGroup() throws {
        let out = try fused("""
            graph epilogue (%x: f32[8, 16]) -> (%y) {
              %w = param() {init = normal, scale = 0.1} : f32[16, 32]
              %b = param() {init = zeros} : f32[32]
              %h = matmul(%x, %w) : f32[8, 32]
              %hb = add(%h, %b) : f32[8, 32]
              %y = relu(%hb) : f32[8, 32]
            }

            """)
        #expect(out == """
            graph epilogue (%x: f32[8, 16]) -> (%y) {
              %w = param() {init = normal, scale = 0.1, group = 0} : f32[16, 32]
              %b = param() {init = zeros, group = 0} : f32[32]
              %h = matmul(%x, %w) {group = 0} : f32[8, 32]
              %hb = add(%h, %b) {group = 0} : f32[8, 32]
              %y = relu(%hb) {group = 0} : f32[8, 32]
            }

            """)
    }

    @Test func gateChainFusesNoiseIntoTheLogitsAndSlicesIntoTopK() throws {
        // The noisy gate as lowering writes it: clean logits, noise std, noise, noisy logits, top k+1, slice, softmax.
        let out = try fused("""
            graph gate (%x: f32[8, 16]) -> (%gates, %idx) {
              %wg = param() {init = zeros} : f32[16, 4]
              %wn = param() {init = zeros} : f32[16, 4]
              %clean = matmul(%x, %wg) : f32[8, 4]
              %raw = matmul(%x, %wn) : f32[8, 4]
              %std = softplus(%raw) {offset = 0.01} : f32[8, 4]
              %eps = random_normal(%clean) {stream = 1} : f32[8, 4]
              %noisy = fma(%eps, %std, %clean) : f32[8, 4]
              %top, %top_idx = top_k(%noisy) {k = 3} : f32[8, 3], i32[8, 3]
              %kept = slice(%top) {axis = 1, start = 0, end = 2} : f32[8, 2]
              %idx = slice(%top_idx) {axis = 1, start = 0, end = 2} : i32[8, 2]
              %gates = softmax(%kept) : f32[8, 2]
            }

            """)
        #expect(out == """
            graph gate (%x: f32[8, 16]) -> (%gates, %idx) {
              %wg = param() {init = zeros, group = 0} : f32[16, 4]
              %wn = param() {init = zeros, group = 1} : f32[16, 4]
              %clean = matmul(%x, %wg) {group = 0} : f32[8, 4]
              %raw = matmul(%x, %wn) {group = 1} : f32[8, 4]
              %std = softplus(%raw) {offset = 0.01, group = 1} : f32[8, 4]
              %eps = random_normal(%clean) {stream = 1, group = 0} : f32[8, 4]
              %noisy = fma(%eps, %std, %clean) {group = 0} : f32[8, 4]
              %top, %top_idx = top_k(%noisy) {k = 3, group = 2} : f32[8, 3], i32[8, 3]
              %kept = slice(%top) {axis = 1, start = 0, end = 2, group = 2} : f32[8, 2]
              %idx = slice(%top_idx) {axis = 1, start = 0, end = 2, group = 2} : i32[8, 2]
              %gates = softmax(%kept) {group = 3} : f32[8, 2]
            }

            """)
    }

    @Test func dontFuseAcrossDevices() throws {
        let out = try fused("""
            graph split (%x: f32[8, 16]) -> (%y) {
              %w = param() {init = normal, scale = 0.1, device = 0} : f32[16, 32]
              %h = matmul(%x, %w) {device = 0} : f32[8, 32]
              %y = relu(%h) {device = 1} : f32[8, 32]
            }

            """)
        #expect(out == """
            graph split (%x: f32[8, 16]) -> (%y) {
              %w = param() {init = normal, scale = 0.1, group = 0, device = 0} : f32[16, 32]
              %h = matmul(%x, %w) {group = 0, device = 0} : f32[8, 32]
              %y = relu(%h) {group = 1, device = 1} : f32[8, 32]
            }

            """)
    }

    @Test func dontFuseAcrossADataDependentOp() throws {
        // moe_dispatch's rows are known only once it has run: neither its producer nor its consumer joins it.
        let out = try fused("""
            graph routed (%x: f32[8, 16], %pos: i32[3], %tok: i32[?8<=16]) -> (%y) {
              %s = scale(%x) {factor = 2.0} : f32[8, 16]
              %rows = moe_dispatch(%s, %pos, %tok) {index = 0} : f32[?4<=8, 16]
              %y = relu(%rows) : f32[?4<=8, 16]
            }

            """)
        #expect(out == """
            graph routed (%x: f32[8, 16], %pos: i32[3], %tok: i32[?8<=16]) -> (%y) {
              %s = scale(%x) {factor = 2.0, group = 0} : f32[8, 16]
              %rows = moe_dispatch(%s, %pos, %tok) {index = 0, group = 1} : f32[?4<=8, 16]
              %y = relu(%rows) {group = 2} : f32[?4<=8, 16]
            }

            """)
    }

    @Test func dontFuseADiamondIntoACycle() throws {
        // add(a, softmax(a)): joining add to a's group would make {a, add} → softmax → {a, add} a cycle;
        // it joins the softmax instead.
        let out = try fused("""
            graph diamond (%x: f32[8, 16]) -> (%y) {
              %w = param() {init = normal, scale = 0.1} : f32[16, 32]
              %a = matmul(%x, %w) : f32[8, 32]
              %s = softmax(%a) : f32[8, 32]
              %y = add(%a, %s) : f32[8, 32]
            }

            """)
        #expect(out == """
            graph diamond (%x: f32[8, 16]) -> (%y) {
              %w = param() {init = normal, scale = 0.1, group = 0} : f32[16, 32]
              %a = matmul(%x, %w) {group = 0} : f32[8, 32]
              %s = softmax(%a) {group = 1} : f32[8, 32]
              %y = add(%a, %s) {group = 1} : f32[8, 32]
            }

            """)
    }

    @Test func dontFuseASharedWeightOrOpaqueOps() throws {
        let out = try fused("""
            graph shared (%x: f32[8, 16]) -> (%y, %z) {
              %w = param() {init = normal, scale = 0.1} : f32[16, 16]
              %y = matmul(%x, %w) : f32[8, 16]
              %z = matmul(%y, %w) : f32[8, 16]
            }

            """)
        #expect(out.contains("%w = param() {init = normal, scale = 0.1, group = 0}"))
        #expect(out.contains("%y = matmul(%x, %w) {group = 1}"))
        #expect(out.contains("%z = matmul(%y, %w) {group = 2}"))
    }

    @Test func everyFusedGroupOfTheLoweredModelsIsAcyclicAndFusionIsIdempotent() throws {
        for file in ["tiny-moe.graph", "tiny-hmoe.graph", "tiny-switch.graph", "tiny-translation.graph"] {
            var g = try Fixture.lowered(file, fuse: false)
            #expect(try fusion.run(&g, PassOptions()))
            let plan = try #require(FusionPlan.annotated(g))
            #expect(plan.groupCount < g.nodes.count, "\(file): fusion should merge something")
            // The quotient graph is acyclic: the cost graph built from it has a topological order.
            _ = try MoegcSimCheck.acyclic(g, plan)
            #expect(try !fusion.run(&g, PassOptions()), "\(file): a second run changes nothing")
        }
    }
}
