namespace MixBit.Integer.Engine;

/// <summary>Residual Add, element by element with the one shared shift (<see cref="FixedPointMultiplier.RequantizeSum"/>).</summary>
internal sealed class AddKernel(QuantizedAdd add, QuantizedTensor output) : OpKernel
{
    public override void RunScalar(EngineArena arena)
    {
        var a = arena.Tensors[add.InputA];
        var b = arena.Tensors[add.InputB];
        var y = arena.Tensors[add.Output];
        for (int i = 0; i < output.Elements; i++)
        {
            int sum = FixedPointMultiplier.RequantizeSum(a[i] - add.ZeroPointA, add.MultiplierA, b[i] - add.ZeroPointB, add.MultiplierB, add.Shift);
            y[i] = Store(sum, add.OutputZeroPoint, add.ActivationMin, add.ActivationMax);
        }
    }
}
