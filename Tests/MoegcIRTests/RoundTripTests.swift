import MoegcIR
import MoegcPasses
import MoegcSupport
import Testing

/// The text format is a contract: canonical files print back to themselves, and parse∘print∘parse
/// gives an equal graph.
struct RoundTripTests {
    @Test func graphsFolderIsNotEmpty() {
        #expect(allGraphFiles().count >= 75)
    }

    @Test(arguments: allGraphFiles())
    func canonicalFilesPrintBackExactly(_ file: String) throws {
        let text = String(decoding: try FileIO.read(graphPath(file)), as: UTF8.self)
        let graph = try load(text, path: file)
        let printed = GraphText.print(graph)
        #expect(printed == text, "print(parse(\(file))) differs from the file: run `moegc format -i graphs/\(file)`")
        let again = try load(printed, path: file)
        #expect(again == graph)
    }

    @Test func commentsAndBlankLinesSurvive() throws {
        let text = """
        # header comment

        graph g (%x: f32[2, 3]) -> (%y) {
          # before a
          %a = relu(%x) : f32[2, 3]  # after a

          %y = neg(%a) : f32[2, 3]
          # at the end
        }

        """
        #expect(GraphText.print(try load(text)) == text)
    }

    @Test func nonCanonicalTextBecomesCanonical() throws {
        // Out-of-order statements, missing types, attributes out of schema order, extra spaces.
        let text = """
        graph   g [n = 4] ( %x : f32[n, 8] ) -> ( %y ) {
          %y = dense( %h ) { activation = relu , units = 3 }
          %h = dense(%x) {units = 5, bias = false}
        }
        """
        let printed = GraphText.print(try load(text))
        #expect(printed == """
        graph g [n = 4] (%x: f32[n, 8]) -> (%y) {
          %h = dense(%x) {units = 5, bias = false} : f32[n, 5]
          %y = dense(%h) {units = 3, activation = relu} : f32[n, 3]
        }

        """)
        #expect(GraphText.print(try load(printed)) == printed)
    }

    @Test func attributeValuesRoundTrip() throws {
        let text = """
        graph g (%x: f32[4]) -> (%y) {
          %y, %z = opaque(%x) {flops = 1e-10, bytes = 12.5, weights = 1e+20, name = "a \\"q\\" \\\\ b\\n"} : f32[4], i32[?3<=9]
        }

        """
        let g = try load(text)
        #expect(GraphText.print(g) == text)
        #expect(g.nodes[0].attributes["name"] == .string("a \"q\" \\ b\n"))
        #expect(g.type(of: g.nodes[0].results[1]).dims[0] == Dim.dynamic(expected: 3, max: 9))
    }

    @Test func symbolicDimensionsKeepTheirSpelling() throws {
        let text = """
        graph g [batch = 2, seq = 3] (%x: f32[batch, seq, 4]) -> (%y) {
          %y = reshape(%x) {shape = [-1, 4]} : f32[batch*seq, 4]
        }

        """
        let g = try load(text)
        #expect(GraphText.print(g) == text)
        #expect(g.type(of: g.outputs[0]).shape == [6, 4])
        let bigger = try Frontend.load(bytes: Array(text.utf8), path: "t", overrides: ["batch": 5])
        #expect(bigger.type(of: bigger.outputs[0]).shape == [15, 4])
    }
}
