using MixBit.Models.Architectures;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Layers;
using MixBit.Nn.Optim;
using MixBit.Nn.Specs;
using MixBit.Tensors;

namespace MixBit.Tests.Nn;

[Collection(GlobalStateCollection.Name)]
public class NetworkTests
{
    /// <summary>conv-bn-relu, then a depthwise branch added back to its input (two consumers), GAP, linear.</summary>
    private static ModelGraph ResidualGraph(bool relu = true)
    {
        var b = new GraphBuilder(new ActivationShape(2, 6, 6));
        b.Conv(4, 3);
        int skip = b.BatchNorm();
        if (relu) skip = b.Relu();
        b.Conv(4, 3, groups: 4); b.BatchNorm(); b.Relu6();
        b.Conv(4, 1);
        b.Residual(skip, b.Current);
        b.GlobalAvgPool(); b.Flatten(); b.Linear(3);
        return b.Build("residual");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Residual_network_parameter_gradients_match_finite_differences(bool relu)
    {
        var net = new Network(Model.Initialize(ResidualGraph(relu), seed: 5));
        var rng = new Random(3);
        // Small step: BN + ReLU make the loss piecewise smooth, and a larger step crosses kinks.
        CheckParameterGradients(net, GradientChecker.Random(1, 3, 2, 6, 6), GradientChecker.Random(2, 3, 3, 1, 1), 5e-4f,
            p => Enumerable.Range(0, 6).Select(_ => rng.Next(p.Value.Length)).ToArray());
    }

    [Fact]
    public void A_tensor_added_to_itself_gets_twice_the_gradient()
    {
        // conv -> add(conv, conv) -> gap -> flatten -> linear: dL/dconv = 2 * dL/dadd.
        var b = new GraphBuilder(new ActivationShape(1, 4, 4));
        int conv = b.Conv(2, 3);
        b.Residual(conv, conv);
        b.GlobalAvgPool(); b.Flatten(); b.Linear(2);
        var net = new Network(Model.Initialize(b.Build("twice"), 3));
        CheckParameterGradients(net, GradientChecker.Random(1, 2, 1, 4, 4), GradientChecker.Random(2, 2, 2, 1, 1), 1e-3f,
            p => p.Name == "conv0.weight" ? Enumerable.Range(0, p.Value.Length) : []);
    }

    /// <summary>L = sum(net(x) * r); analytic parameter gradients vs central differences at the chosen entries.</summary>
    private static void CheckParameterGradients(Network net, Tensor x, Tensor r, float eps, Func<ParameterSlot, IEnumerable<int>> entries)
    {
        double Loss()
        {
            var y = net.Forward(x, training: true);
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += (double)y.Data[i] * r.Data[i];
            return s;
        }
        Loss();
        net.ZeroGradients();
        net.Backward(r);
        foreach (var p in net.Parameters)
            foreach (int i in entries(p))
            {
                float orig = p.Value.Data[i];
                p.Value.Data[i] = orig + eps; double lp = Loss();
                p.Value.Data[i] = orig - eps; double lm = Loss();
                p.Value.Data[i] = orig;
                double numeric = (lp - lm) / (2 * eps);
                Assert.True(Math.Abs(p.Gradient.Data[i] - numeric) <= 2e-3 + 2e-2 * Math.Abs(numeric),
                    $"{p.Name}[{i}]: analytic {p.Gradient.Data[i]:G6} vs numeric {numeric:G6}");
            }
    }

    [Fact]
    public void Input_of_wrong_shape_is_a_clear_error()
    {
        var net = new Network(Model.Initialize(ResidualGraph(), 1));
        var e = Assert.Throws<ModelException>(() => net.Forward(new Tensor(1, 3, 6, 6)));
        Assert.Contains("expects input [N, 2, 6, 6]", e.Message);
    }

    [Fact]
    public void Openblas_and_managed_backends_give_the_same_training_step()
    {
        Assert.True(Gemm.OpenBlasAvailable || !File.Exists("/usr/lib/x86_64-linux-gnu/libopenblas.so.0"),
            "OpenBLAS is installed but did not load");
        var graph = ReferenceCnn.Build();
        float[] Run(GemmBackend backend)
        {
            var saved = Gemm.Backend;
            try
            {
                Gemm.Backend = backend;
                var model = Model.Initialize(graph, 3);
                var net = new Network(model);
                var x = GradientChecker.Random(4, 8, 1, 28, 28);
                var loss = new SoftmaxCrossEntropy();
                loss.Compute(net.Forward(x, true), [0, 1, 2, 3, 4, 5, 6, 7]);
                net.ZeroGradients();
                net.Backward(loss.Gradient);
                return net.Parameters.SelectMany(p => p.Gradient.Span.ToArray()).Concat(net.Forward(x).Span.ToArray()).ToArray();
            }
            finally { Gemm.Backend = saved; }
        }
        if (!Gemm.OpenBlasAvailable) return; // nothing to compare against on this machine
        var blas = Run(GemmBackend.OpenBlas);
        var managed = Run(GemmBackend.Managed);
        Assert.Equal(blas.Length, managed.Length);
        for (int i = 0; i < blas.Length; i++)
            Assert.True(Math.Abs(blas[i] - managed[i]) <= 1e-4f + 1e-3f * Math.Abs(blas[i]), $"element {i}: {blas[i]} vs {managed[i]}");
    }

    [Fact]
    public void Sgd_training_fits_a_small_random_problem()
    {
        var b = new GraphBuilder(new ActivationShape(1, 8, 8));
        b.ConvBnAct(4, 3); b.Flatten(); b.Linear(4);
        var net = new Network(Model.Initialize(b.Build("tiny"), 2));
        var x = GradientChecker.Random(9, 16, 1, 8, 8);
        int[] labels = Enumerable.Range(0, 16).Select(i => i % 4).ToArray();
        var opt = new Sgd(net.Parameters, 0.9f) { LearningRate = 0.05f };
        var loss = new SoftmaxCrossEntropy();
        float first = 0, last = 0;
        for (int step = 0; step < 150; step++)
        {
            var (l, _) = loss.Compute(net.Forward(x, true), labels);
            if (step == 0) first = l;
            last = l;
            net.ZeroGradients(); net.Backward(loss.Gradient); opt.Step();
        }
        Assert.True(last < 0.5f * first, $"loss went from {first} to {last}");
    }

    [Theory]
    [InlineData("mobilenet_v1")]
    [InlineData("mobilenet_v2")]
    [InlineData("plain_cnn")]
    public void Fused_inference_matches_layer_by_layer_inference(string arch)
    {
        var graph = ArchitectureRegistry.Build(arch, new ArchitectureOptions(0.5, 28, 1, 10));
        var model = Model.Initialize(graph, 4);
        var rng = new Random(2);
        foreach (var (name, t) in model.Parameters) // non-trivial BN statistics and affine parameters
            if (name.EndsWith("running_var") || name.EndsWith("running_mean") || (name.Contains(".bn.") && !name.EndsWith("weight")))
                for (int i = 0; i < t.Length; i++) t.Data[i] = name.EndsWith("running_var") ? 0.5f + (float)rng.NextDouble() : (float)rng.NextDouble() - 0.5f;
        var net = new Network(model);
        var x = GradientChecker.Random(3, 4, 1, 28, 28);
        var fused = net.Forward(x).Span.ToArray();
        net.FuseForInference = false;
        var plain = net.Forward(x).Span.ToArray();
        float scale = plain.Max(MathF.Abs);
        Assert.True(scale > 1e-3f);
        for (int i = 0; i < plain.Length; i++) Assert.True(Math.Abs(fused[i] - plain[i]) <= 1e-5f * Math.Max(1f, scale), $"{i}: {fused[i]} vs {plain[i]}");
    }

    [Fact]
    public void Frozen_parameters_keep_the_fold_until_a_training_pass_or_a_new_freeze()
    {
        var graph = ArchitectureRegistry.Build("mobilenet_v1", new ArchitectureOptions(0.25, 28, 1, 10));
        var model = Model.Initialize(graph, 4);
        var x = GradientChecker.Random(5, 2, 1, 28, 28);
        float[] Fresh() => new Network(model).Forward(x).Span.ToArray(); // folds from the current parameters
        var net = new Network(model) { ParametersFrozen = true };
        Assert.Equal(Fresh(), net.Forward(x).Span.ToArray());
        Assert.Equal(Fresh(), net.Forward(x).Span.ToArray());

        var gamma = model.Parameters.First(p => p.Key.EndsWith(".bn.weight")).Value;
        for (int i = 0; i < gamma.Length; i++) gamma.Data[i] *= 1.5f;
        var stale = net.Forward(x).Span.ToArray(); // frozen: the promise was broken, the old fold is kept
        Assert.NotEqual(Fresh(), stale);
        net.ParametersFrozen = false;
        Assert.Equal(Fresh(), net.Forward(x).Span.ToArray());

        net.ParametersFrozen = true;
        net.Forward(x);
        for (int i = 0; i < gamma.Length; i++) gamma.Data[i] *= 0.5f;
        net.ParametersFrozen = false; net.ParametersFrozen = true; // a new frozen period folds again on its first pass
        Assert.Equal(Fresh(), net.Forward(x).Span.ToArray());

        net.Forward(x, training: true); // a training pass withdraws the promise
        Assert.False(net.ParametersFrozen);
        for (int i = 0; i < gamma.Length; i++) gamma.Data[i] *= 2f;
        Assert.Equal(Fresh(), net.Forward(x).Span.ToArray());
    }

    [Theory]
    [InlineData("mobilenet_v2")] // depthwise, pointwise, BatchNorm, ReLU6, residual adds
    [InlineData("plain_cnn")] // 3x3 convolutions through im2col, max pooling
    public void A_training_step_gives_the_same_bits_for_any_number_of_threads(string arch)
    {
        var graph = ArchitectureRegistry.Build(arch, new ArchitectureOptions(0.5, 28, 1, 10));
        float[] Step(int threads)
        {
            int saved = Workers.Count;
            try
            {
                Workers.Count = threads;
                var net = new Network(Model.Initialize(graph, 6));
                var x = GradientChecker.Random(7, 5, 1, 28, 28);
                var loss = new SoftmaxCrossEntropy();
                loss.Compute(net.Forward(x, true), [0, 1, 2, 3, 4]);
                net.ZeroGradients();
                net.Backward(loss.Gradient);
                return net.Parameters.SelectMany(p => p.Gradient.Span.ToArray()).Concat(net.Forward(x).Span.ToArray()).ToArray();
            }
            finally { Workers.Count = saved; }
        }
        var one = Step(1);
        Assert.Equal(one, Step(2));
        Assert.Equal(one, Step(3));
    }

    [Fact]
    public void A_training_step_allocates_almost_nothing_once_buffers_exist()
    {
        var graph = ReferenceCnn.Build();
        var net = new Network(Model.Initialize(graph, 1));
        var opt = new Sgd(net.Parameters, 0.9f) { LearningRate = 0.01f };
        var x = GradientChecker.Random(1, 32, 1, 28, 28);
        int[] labels = Enumerable.Range(0, 32).Select(i => i % 10).ToArray();
        var loss = new SoftmaxCrossEntropy();
        void Step() { loss.Compute(net.Forward(x, true), labels); net.ZeroGradients(); net.Backward(loss.Gradient); opt.Step(); net.Forward(x); }
        for (int i = 0; i < 3; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 5;
        // Activations of one step are ~2.5 MB; what remains is the per-call delegates and shape records, about 12 kB here.
        Assert.True(perStep < 32 * 1024, $"{perStep:N0} bytes allocated per training step");
    }
}
