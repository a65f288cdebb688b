using MixBit.Nn.Layers;
using MixBit.Tensors;

namespace MixBit.Tests.Nn;

/// <summary>
/// Compares a layer's analytic gradients with central finite differences of L = sum(y * R) for a fixed random R,
/// over a sample of entries of every input and parameter. L is accumulated in double to keep the difference
/// quotient's rounding error (about 1e-7 * |L| / eps) well below the tolerance.
/// </summary>
internal static class GradientChecker
{
    public static void Check(Layer layer, Tensor[] inputs, bool training = true, int seed = 1, float eps = 2e-3f,
        float absTol = 2e-3f, float relTol = 2e-2f, int samplesPerTensor = 40, bool[]? checkInput = null)
    {
        var rng = new Random(seed);
        var y = layer.Forward(inputs, training);
        var r = new float[y.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (float)(rng.NextDouble() * 2 - 1);
        var dy = new Tensor(r.ToArray(), y.Shape.ToArray());

        foreach (var p in layer.Parameters) p.Gradient.Clear();
        var dx = inputs.Select(_ => new Tensor(0)).ToArray();
        layer.Forward(inputs, training);
        layer.Backward(dy, dx.Cast<Tensor?>().ToArray());

        double Loss()
        {
            var o = layer.Forward(inputs, training);
            double s = 0;
            for (int i = 0; i < o.Length; i++) s += (double)o.Data[i] * r[i];
            return s;
        }

        void CheckTensor(string what, Tensor value, Tensor analytic)
        {
            Assert.Equal(value.Length, analytic.Length);
            int count = Math.Min(samplesPerTensor, value.Length);
            var picks = Enumerable.Range(0, value.Length).OrderBy(_ => rng.Next()).Take(count);
            foreach (int i in picks)
            {
                float orig = value.Data[i];
                value.Data[i] = orig + eps; double lp = Loss();
                value.Data[i] = orig - eps; double lm = Loss();
                value.Data[i] = orig;
                double numeric = (lp - lm) / (2 * eps);
                double a = analytic.Data[i];
                Assert.True(Math.Abs(a - numeric) <= absTol + relTol * Math.Abs(numeric),
                    $"{what}[{i}]: analytic {a:G6} vs numeric {numeric:G6}");
            }
        }

        for (int k = 0; k < inputs.Length; k++)
            if (checkInput is null || checkInput[k]) CheckTensor($"input{k}", inputs[k], dx[k]);
        foreach (var p in layer.Parameters) CheckTensor(p.Name, p.Value, p.Gradient);
    }

    public static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var t = new Tensor(shape);
        for (int i = 0; i < t.Length; i++) t.Data[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }
}
