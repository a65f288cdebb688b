namespace MixBit.Reporting;

/// <summary>
/// The accuracy-FLASH Pareto front: the points no other point beats with at most as much FLASH and at least as much
/// accuracy (ties: the first). Ordered by FLASH, so accuracy rises strictly along it.
/// </summary>
public static class ParetoFront
{
    public static IReadOnlyList<(long FlashBytes, double Accuracy)> Of(IEnumerable<(long FlashBytes, double Accuracy)> points)
    {
        var front = new List<(long FlashBytes, double Accuracy)>();
        // By FLASH, then best accuracy first: a point joins the front when it is more accurate than all smaller ones.
        foreach (var p in points.OrderBy(p => p.FlashBytes).ThenByDescending(p => p.Accuracy))
            if (front.Count == 0 || p.Accuracy > front[^1].Accuracy) front.Add(p);
        return front;
    }
}
