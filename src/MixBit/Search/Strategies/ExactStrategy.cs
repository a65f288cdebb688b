using Google.OrTools.Sat;
using MixBit.Memory;

namespace MixBit.Search.Strategies;

/// <summary>
/// The exact optimiser of the sensitivity proxy under both budgets (integer programming, as HAWQ-V3 allocates bits):
/// minimise sum over steps of Sensitivity(s, bits_s) subject to FLASH &lt;= budget and, at every op, the RAM of its live
/// tensors + scratch &lt;= budget. One-hot choices x[s][b] make FLASH and each op's RAM linear (packed sizes are constants
/// per choice); a tensor whose bits are the larger of several layers' (an Add, a pool after an Add) gets a byte variable
/// bounded below by each source's bytes, which is exact for a constraint that only bounds memory from above. Solved by
/// CP-SAT (Google OR-Tools) with one worker and a fixed seed, so the answer is reproducible; then evaluated once.
/// </summary>
public sealed class ExactStrategy(int seed, double timeLimitSeconds = 60) : ISearchStrategy
{
    private const double SensitivityScale = 1e6;
    private static readonly int[] Choices = [8, 4, 2];

    public string Name => "exact";

    public int PlannedQueries(SearchEnvironment env) => SensitivityTable.Probes(env) + 1;

    public SearchOutcome Run(SearchEnvironment env, CancellationToken cancel = default)
    {
        var table = SensitivityTable.Measure(env, cancel);
        var bits = Solve(env, table);
        var policy = env.Repair(env.Space.ToPolicy(bits)); // a no-op for a solution that fits; kept as the guarantee
        return SearchOutcome.From(this, env, env.Evaluate(policy, "candidate", "exact", cancel));
    }

    /// <summary>The step bits minimising the summed sensitivity within the budget.</summary>
    public int[] Solve(SearchEnvironment env, SensitivityTable table)
    {
        var plan = env.Plan;
        var space = env.Space;
        var steps = space.Steps;
        var model = new CpModel();
        var x = steps.Select(s => Choices.Select(b => model.NewBoolVar($"x_{s.Index}_{b}")).ToArray()).ToArray();
        foreach (var row in x) model.AddExactlyOne(row);

        var weightStep = steps.Where(s => s.Kind == StepKind.Weight).ToDictionary(s => s.Layer, s => s.Index);
        var activationStep = steps.Where(s => s.Kind == StepKind.Activation).ToDictionary(s => s.Layer, s => s.Index);
        var fixedPolicy = space.ToPolicy(Enumerable.Repeat(8, steps.Count).ToArray()); // bits of layers without a step

        // Bytes of step s as a linear expression: sum_b bytes(b) x[s][b].
        LinearExpr Bytes(int s, Func<int, long> bytesAt) => LinearExpr.WeightedSum(x[s], Choices.Select(bytesAt).ToArray());

        // FLASH: packed weights per choice + the bit-independent parameters.
        var flash = new List<LinearExpr>();
        long flashConstant = 0;
        foreach (var op in plan.Ops)
        {
            flashConstant += op.ParameterBytes;
            if (!op.IsQuantizedLayer) continue;
            if (weightStep.TryGetValue(op.Name, out int s)) flash.Add(Bytes(s, op.WeightBytesAt));
            else flashConstant += op.WeightBytesAt(fixedPolicy[op.Name].WeightBits);
        }
        model.Add(LinearExpr.Sum(flash) + flashConstant <= env.Budget.UsableFlashBytes);

        // Tensor bytes: a constant, one source's expression, or a variable >= every source's bytes.
        var tensorBytes = new LinearExpr[plan.Tensors.Count];
        foreach (var t in plan.Tensors)
        {
            var exprs = new List<LinearExpr>();
            long constant = t.FloorBits > 0 ? t.BytesAt(t.FloorBits) : 0;
            foreach (var source in t.BitSources)
            {
                if (!t.HasFixedBits && activationStep.TryGetValue(source, out int s)) exprs.Add(Bytes(s, t.BytesAt));
                else constant = Math.Max(constant, t.BytesAt(Math.Max(t.FloorBits, fixedPolicy[source].ActivationBits)));
            }
            if (t.HasFixedBits || exprs.Count == 0) { tensorBytes[t.Id] = LinearExpr.Constant(constant); continue; }
            if (exprs.Count == 1 && constant == 0) { tensorBytes[t.Id] = exprs[0]; continue; }
            var y = model.NewIntVar(constant, t.BytesAt(8), $"bytes_{t.Name}");
            foreach (var e in exprs) model.Add(y >= e);
            tensorBytes[t.Id] = y;
        }

        // RAM at every op: live tensors + scratch (the largest scratch over bit choices, exact while scratch is bit-free).
        foreach (var op in plan.Ops)
        {
            long scratch = Choices.SelectMany(i => Choices.SelectMany(w => Choices.Select(o => KernelScratch.Bytes(op, i, w, o)))).Max();
            model.Add(LinearExpr.Sum(op.LiveTensors.Select(t => tensorBytes[t])) + scratch <= env.Budget.UsableRamBytes);
        }

        var objective = new List<LinearExpr>();
        for (int s = 0; s < steps.Count; s++)
            objective.Add(LinearExpr.WeightedSum(x[s], Choices.Select(b => (long)Math.Round(SensitivityScale * table.At(s, b))).ToArray()));
        model.Minimize(LinearExpr.Sum(objective));

        var solver = new CpSolver
        {
            StringParameters = $"num_workers:1 random_seed:{seed} max_time_in_seconds:{timeLimitSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        };
        var status = solver.Solve(model);
        if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
            throw new MixBitException($"The exact solver found no policy within {env.Budget} (status {status}).");
        if (status == CpSolverStatus.Feasible)
            env.Warn?.Invoke($"The exact solver stopped at its {timeLimitSeconds:0} s limit with a feasible, not proven optimal, policy.");
        return steps.Select(s => Choices[Array.FindIndex(x[s.Index], v => solver.BooleanValue(v))]).ToArray();
    }
}
