using MixBit.Data;
using MixBit.Integer;
using MixBit.Nn;
using MixBit.Nn.Graph;
using MixBit.Nn.Specs;
using MixBit.Quantization;
using MixBit.Tests.Quantization;

namespace MixBit.Tests.Integer;

public class IntegerConverterTests
{
    [Theory]
    [InlineData(true, false, "--kmeans")]
    [InlineData(false, false, "--asymmetric")]
    public void Options_without_an_integer_form_are_refused_with_one_message(bool kmeans, bool symmetric, string flag)
    {
        var graph = QuantTestModels.TinyCnn();
        var options = new QuantizationOptions { KMeansWeights = kmeans, SymmetricWeights = symmetric || kmeans };
        var e = Assert.Throws<MixBitException>(() => IntegerTestModels.Calibrated(graph, BitPolicy.Uniform(graph, 8, 8), options, 1));
        Assert.Contains(flag, e.Message);
    }

    [Fact]
    public void A_layer_whose_accumulator_could_overflow_is_refused_by_name()
    {
        // fc's bias of 1e6 with tiny weights is far beyond 2^31 accumulator steps.
        var b = new GraphBuilder(new ActivationShape(1, 4, 4));
        b.Flatten();
        b.Linear(3, name: "fc");
        var graph = b.Build("overflow");
        var model = Model.Initialize(graph, 1);
        model.Parameter("fc.weight").Span.Fill(1e-4f);
        model.Parameter("fc.bias").Span.Fill(1e6f);
        var data = IntegerTestModels.RandomImages(graph.InputShape, 16, 1);
        var fq = new FakeQuantNetwork(model, BitPolicy.Uniform(graph, 8, 8), new QuantizationOptions(), Normalization.Identity(1));
        CalibrationStatistics.Collect(fq, CalibrationStatistics.Batches(data, Normalization.Identity(1), 16, 1)).ApplyTo(fq);
        var e = Assert.Throws<MixBitException>(() => IntegerConverter.Convert(fq));
        Assert.Contains("'fc'", e.Message);
    }

    [Fact]
    public void Weights_are_stored_in_the_contract_layouts()
    {
        // conv 2->3 3x3 (OHWI), depthwise 3x3 ([kh][kw][c]), then flatten of the 3x2x2 map and Linear (HWC columns).
        var b = new GraphBuilder(new ActivationShape(2, 4, 4));
        b.Conv(3, 3, name: "conv");
        b.DepthwiseConv(3, 2, name: "dw");
        b.Flatten();
        b.Linear(2, name: "fc");
        var graph = b.Build("layouts");
        var c = IntegerTestModels.Calibrated(graph, BitPolicy.Uniform(graph, 8, 8), new QuantizationOptions(), 3);
        var q = c.Quantized;
        int[] Float(string name) => c.Network.WeightLayers[name].Quantized().Codes;
        var conv = q.Ops.OfType<QuantizedLayer>().Single(l => l.Name == "conv").WeightCodes();
        var convFloat = Float("conv"); // [o][i][ky][kx]
        for (int o = 0; o < 3; o++) for (int i = 0; i < 2; i++) for (int t = 0; t < 9; t++)
            Assert.Equal(convFloat[(o * 2 + i) * 9 + t], conv[(o * 9 + t) * 2 + i]);
        var dw = q.Ops.OfType<QuantizedLayer>().Single(l => l.Name == "dw").WeightCodes();
        var dwFloat = Float("dw"); // [c][1][ky][kx]
        for (int ch = 0; ch < 3; ch++) for (int t = 0; t < 9; t++) Assert.Equal(dwFloat[ch * 9 + t], dw[t * 3 + ch]);
        var fc = q.Ops.OfType<QuantizedLayer>().Single(l => l.Name == "fc").WeightCodes();
        var fcFloat = Float("fc"); // [o][c * 4 + p]
        for (int o = 0; o < 2; o++) for (int ch = 0; ch < 3; ch++) for (int p = 0; p < 4; p++)
            Assert.Equal(fcFloat[o * 12 + ch * 4 + p], fc[o * 12 + p * 3 + ch]);
    }

    [Fact]
    public void Relu6_narrows_the_clamp_to_the_code_of_six_and_the_input_grid_is_the_raw_pixel()
    {
        var graph = QuantTestModels.TinyCnn(); // dw has ReLU6
        var c = IntegerTestModels.Calibrated(graph, BitPolicy.Uniform(graph, 8, 8), new QuantizationOptions(), 4);
        var dw = c.Quantized.Ops.OfType<QuantizedLayer>().Single(l => l.Name == "dw");
        var output = c.Quantized.Tensors[dw.Output];
        Assert.Equal(Math.Min(255, (int)Math.Round(6 / output.Scale)), dw.ActivationMax);
        var input = c.Quantized.Input;
        Assert.Equal((8, false, (int)Math.Round(255 * 0.45, MidpointRounding.AwayFromZero)), (input.Bits, input.Signed, input.ZeroPoint));
        Assert.Equal(1 / (255 * 0.29), input.Scale, 1e-6);
    }
}
