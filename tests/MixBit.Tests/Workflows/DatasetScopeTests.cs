using MixBit.Tests.Data;
using MixBit.Workflows;

namespace MixBit.Tests.Workflows;

public class DatasetScopeTests
{
    [Fact]
    public void Inside_a_scope_the_stages_share_one_load_and_outside_each_load_reads_the_files()
    {
        using var files = IdxTestFiles.Stripes(200, 50);
        var source = new DatasetSource(files.Directory, ValidationCount: 20);

        var unscoped = source.Load();
        Assert.NotSame(unscoped.Train, source.Load().Train);

        DatasetSplits first;
        using (var scope = DatasetScope.Begin())
        {
            first = source.Load();
            var again = source.Load();
            Assert.Same(first.Train, again.Train);
            Assert.Same(first.Test, again.Test);
            // Another split of the same files is a different load.
            var other = (source with { ValidationCount = 30 }).Load();
            Assert.Equal(30, other.Validation.Count);
            Assert.Equal(2, scope.LoadedCount);
        }
        Assert.NotSame(first.Train, source.Load().Train);
    }
}
