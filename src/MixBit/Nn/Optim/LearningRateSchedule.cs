namespace MixBit.Nn.Optim;

/// <summary>Learning rate as a function of the step (0-based) out of <c>totalSteps</c>, with optional linear warm-up.</summary>
public abstract record LearningRateSchedule(float BaseRate, int WarmupSteps = 0)
{
    public float At(int step, int totalSteps)
    {
        if (step < WarmupSteps) return BaseRate * (step + 1) / WarmupSteps;
        return Decay(step - WarmupSteps, Math.Max(1, totalSteps - WarmupSteps));
    }

    protected abstract float Decay(int step, int steps);

    public static LearningRateSchedule Parse(string name, float baseRate, int stepsPerEpoch, int warmupSteps = 0) => name switch
    {
        "cosine" => new CosineSchedule(baseRate, warmupSteps),
        "step" => new StepSchedule(baseRate, Math.Max(1, stepsPerEpoch * 3), 0.5f, warmupSteps),
        "constant" => new ConstantSchedule(baseRate, warmupSteps),
        _ => throw new MixBitException($"Unknown learning-rate schedule '{name}': use cosine, step or constant."),
    };
}

/// <summary>lr = base * (1 + cos(pi * t / T)) / 2.</summary>
public sealed record CosineSchedule(float BaseRate, int WarmupSteps = 0) : LearningRateSchedule(BaseRate, WarmupSteps)
{
    protected override float Decay(int step, int steps) => BaseRate * 0.5f * (1 + MathF.Cos(MathF.PI * step / steps));
}

/// <summary>lr = base * gamma^floor(t / StepSize).</summary>
public sealed record StepSchedule(float BaseRate, int StepSize, float Gamma, int WarmupSteps = 0) : LearningRateSchedule(BaseRate, WarmupSteps)
{
    protected override float Decay(int step, int steps) => BaseRate * MathF.Pow(Gamma, step / StepSize);
}

public sealed record ConstantSchedule(float BaseRate, int WarmupSteps = 0) : LearningRateSchedule(BaseRate, WarmupSteps)
{
    protected override float Decay(int step, int steps) => BaseRate;
}
