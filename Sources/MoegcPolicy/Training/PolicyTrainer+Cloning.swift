import MoegcNN

extension PolicyTrainer {
    /// One behaviour-cloning step towards the best reference placement of the problem the cloning
    /// schedule names (each unit towards the device most of its tasks use there); returns the loss
    /// and the fraction of units the policy (greedily) placed as the reference did before the step.
    /// Cloning ends when every problem's last step met both targets, or after `cloningSteps`.
    @discardableResult
    public mutating func cloneStep() -> (loss: Double, accuracy: Double) {
        let p = cloningSchedule.problem(at: cloningSteps)
        let problem = problems[p]
        let target = problem.unitDevices(of: problem.reference.placement)
        let clock = ContinuousClock()
        var t0 = clock.now
        let tape = Tape(parameters: parameters)
        let output = policy(prepared[p], tape: tape)
        let loss = -output.logProbabilities.pick(target.map { Int32($0) }).mean()
        timing.forward += seconds(since: t0, clock)
        let greedy = Sampler.greedy(output.logProbabilities.value)
        let accuracy = Double(zip(greedy, target).filter { $0 == $1 }.count) / Double(max(target.count, 1))
        t0 = clock.now
        let gradients = tape.backward(loss).parameters
        timing.backward += seconds(since: t0, clock)
        t0 = clock.now
        adam.config.learningRate = config.cloningLearningRate
        adam.step(&parameters, gradients: gradients)
        adam.config.learningRate = config.learningRate
        timing.optimizer += seconds(since: t0, clock)
        cloningSteps += 1
        cloningAgrees[p] = accuracy >= Double(config.cloningTargetAccuracy) && loss.value.scalar <= config.cloningTargetLoss
        if cloningAgrees.allSatisfy({ $0 }) { cloningConverged = true }
        return (Double(loss.value.scalar), accuracy)
    }
}
