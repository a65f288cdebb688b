using MixBit.Nn.Training;
using Spectre.Console;

namespace MixBit.Cli.Commands;

/// <summary>Console view of a training run: a line when it starts, a line per epoch, a live status line in between.</summary>
public static class TrainingProgressView
{
    /// <summary>Synchronous reporter (System.Progress would post to the thread pool and reorder lines).</summary>
    public sealed class Reporter : IProgress<TrainingProgress>
    {
        private readonly bool _interactive = !Console.IsOutputRedirected;

        public void Report(TrainingProgress p)
        {
            if (p.Batch == 0 && !p.EpochDone)
                AnsiConsole.MarkupLineInterpolated($"training from epoch {p.Epoch + 1} of {p.Epochs}, {p.BatchesPerEpoch} batches per epoch");
            else if (p.EpochDone)
            {
                if (_interactive) Console.Write("\r" + new string(' ', Math.Max(0, Console.WindowWidth - 1)) + "\r");
                string val = p.ValidationAccuracy is { } v ? $"  val acc {v:P2}" : "";
                AnsiConsole.MarkupLineInterpolated(
                    $"epoch {p.Epoch + 1,3}/{p.Epochs}  loss {p.Loss:F4}  train acc {p.Accuracy:P2}{val}  {p.ImagesPerSecond,6:F0} img/s  elapsed {p.Elapsed:hh\\:mm\\:ss}  ETA {p.Remaining:hh\\:mm\\:ss}");
            }
            else if (_interactive)
            {
                Console.Write($"\repoch {p.Epoch + 1}/{p.Epochs} batch {p.Batch}/{p.BatchesPerEpoch}  loss {p.Loss:F4}  acc {p.Accuracy:P1}  lr {p.LearningRate:G3}  {p.ImagesPerSecond:F0} img/s  ETA {p.Remaining:hh\\:mm\\:ss} ");
            }
        }
    }
}
