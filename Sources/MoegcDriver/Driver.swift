import ArgumentParser

public struct Moegc: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "moegc")
    public init() {}
}
