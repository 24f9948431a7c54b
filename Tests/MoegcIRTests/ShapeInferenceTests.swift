import MoegcIR
import MoegcPasses
import MoegcSupport
import Testing

/// Shape rules from the registry, as the shape-inference pass applies them: IR in, typed IR out.
struct ShapeInferenceTests {
    func printed(_ text: String) throws -> String { GraphText.print(try load(text)) }

    @Test func layerShapes() throws {
        let out = try printed("""
        graph g [batch = 2, seq = 5] (%t: i32[batch, seq], %y: i32[batch, seq]) -> (%l, %li, %ll) {
          %e = embedding(%t) {vocab = 10, dim = 8}
          %h = lstm(%e) {hidden = 6, projection = 4}
          %m, %li, %ll = hmoe(%h) {groups = 2, experts_per_group = 3, k = [1, 2], hidden = 16}
          %a = attention(%m, %e2) {heads = 2}
          %e2 = dense(%e) {units = 4}
          %n = layer_norm(%a)
          %l = softmax_output(%n, %y) {vocab = 10, samples = 3}
        }
        """)
        #expect(out == """
        graph g [batch = 2, seq = 5] (%t: i32[batch, seq], %y: i32[batch, seq]) -> (%l, %li, %ll) {
          %e = embedding(%t) {vocab = 10, dim = 8} : f32[batch, seq, 8]
          %h = lstm(%e) {hidden = 6, projection = 4} : f32[batch, seq, 4]
          %m, %li, %ll = hmoe(%h) {groups = 2, experts_per_group = 3, k = [1, 2], hidden = 16} : f32[batch, seq, 4], f32[], f32[]
          %e2 = dense(%e) {units = 4} : f32[batch, seq, 4]
          %a = attention(%m, %e2) {heads = 2} : f32[batch, seq, 4]
          %n = layer_norm(%a) : f32[batch, seq, 4]
          %l = softmax_output(%n, %y) {vocab = 10, samples = 3} : f32[batch, seq]
        }

        """)
    }

    @Test func primitiveShapes() throws {
        let out = try printed("""
        graph g [n = 6] (%x: f32[n, 8], %i: i32[?2<=6]) -> (%s, %v, %k, %r, %c, %t, %sl, %sc, %cs) {
          %w = param() {init = normal, scale = 0.1} : f32[8, 3]
          %mm = matmul(%x, %w)
          %s = reduce_sum(%mm) {axes = [0]}
          %v, %k = top_k(%mm) {k = 2}
          %r = reshape(%mm) {shape = [2, -1]}
          %c = concat(%mm, %mm) {axis = -1}
          %t = transpose(%mm) {perm = [1, 0]}
          %sl = slice(%x) {axis = 1, start = 2, end = 5}
          %g = gather(%x, %i)
          %sc = scatter_add(%g, %i) {rows = 6}
          %cs = cast(%k) {to = f32}
        }
        """)
        #expect(out.contains("%mm = matmul(%x, %w) : f32[n, 3]"))
        #expect(out.contains("%s = reduce_sum(%mm) {axes = [0]} : f32[3]"))
        #expect(out.contains("%v, %k = top_k(%mm) {k = 2} : f32[n, 2], i32[n, 2]"))
        #expect(out.contains("%r = reshape(%mm) {shape = [2, -1]} : f32[2, 9]"))
        #expect(out.contains("%c = concat(%mm, %mm) {axis = -1} : f32[n, 6]"))
        #expect(out.contains("%t = transpose(%mm) {perm = [1, 0]} : f32[3, n]"))
        #expect(out.contains("%sl = slice(%x) {axis = 1, start = 2, end = 5} : f32[n, 3]"))
        #expect(out.contains("%g = gather(%x, %i) : f32[?2<=6, 8]"))
        #expect(out.contains("%sc = scatter_add(%g, %i) {rows = 6} : f32[6, 8]"))
        #expect(out.contains("%cs = cast(%k) {to = f32} : f32[n, 2]"))
    }

    @Test func broadcastingKeepsNames() throws {
        let out = try printed("""
        graph g [b = 4] (%x: f32[b, 3], %bias: f32[3], %s: f32[]) -> (%y, %z) {
          %y = add(%x, %bias)
          %z = mul(%s, %x)
        }
        """)
        #expect(out.contains("%y = add(%x, %bias) : f32[b, 3]"))
        #expect(out.contains("%z = mul(%s, %x) : f32[b, 3]"))
    }

    @Test func passReportsWhetherItChanged() throws {
        var g = try GraphText.parse("graph g (%x: f32[2]) -> (%y) {\n  %y = relu(%x)\n}\n")
        #expect(g.values[1].type == nil)
        #expect(try shapeInference.run(&g, PassOptions()) == true)
        #expect(try shapeInference.run(&g, PassOptions()) == false)
        #expect(Verifier.verify(g).isEmpty)
    }

    @Test func verifierCatchesProgrammaticMistakes() throws {
        var g = try load("graph g (%x: f32[2]) -> (%y) {\n  %y = relu(%x)\n}\n")
        g.nodes[0].attributes["bogus"] = .int(1)
        g.values[1].type = TensorType(.f32, shape: [3])
        let problems = Verifier.verify(g)
        #expect(problems.map(\.message).contains { $0.hasPrefix("unknown attribute 'bogus'") })
        g.nodes[0].attributes["bogus"] = nil
        #expect(Verifier.verify(g).map(\.message) == ["type f32[3] written for %y does not match f32[2] inferred from the operands"])
    }
}
