using MixBit.Reporting;

namespace MixBit.Tests.Reporting;

public class ParetoFrontTests
{
    [Fact]
    public void Front_keeps_the_points_nothing_smaller_beats()
    {
        (long, double)[] points = [(300, 0.80), (100, 0.70), (200, 0.65), (250, 0.80), (400, 0.79), (150, 0.75), (500, 0.90)];
        Assert.Equal([(100L, 0.70), (150L, 0.75), (250L, 0.80), (500L, 0.90)], ParetoFront.Of(points));
    }

    [Fact]
    public void Every_point_is_on_the_front_or_beaten_by_one_that_is()
    {
        var random = new Random(3);
        var points = Enumerable.Range(0, 200).Select(_ => ((long)random.Next(1000), random.NextDouble())).ToArray();
        var front = ParetoFront.Of(points);
        foreach (var p in points)
            Assert.Contains(front, f => f.FlashBytes <= p.Item1 && f.Accuracy >= p.Item2);
        for (int i = 1; i < front.Count; i++)
            Assert.True(front[i].FlashBytes > front[i - 1].FlashBytes && front[i].Accuracy > front[i - 1].Accuracy);
    }
}
