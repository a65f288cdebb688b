namespace MixBit.Search.Ddpg;

/// <summary>One transition: state, action, reward, next state, and whether the episode ended with it.</summary>
public sealed record Transition(float[] State, float Action, float Reward, float[] NextState, bool Terminal);

/// <summary>A ring buffer of transitions sampled uniformly (with replacement) for DDPG updates.</summary>
public sealed class ReplayBuffer(int capacity)
{
    private readonly Transition[] _items = new Transition[capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity))];
    private int _next;

    public int Count { get; private set; }
    public int Capacity => _items.Length;

    public void Add(Transition t)
    {
        _items[_next] = t;
        _next = (_next + 1) % _items.Length;
        Count = Math.Min(Count + 1, _items.Length);
    }

    public Transition Sample(SearchRandom rng) => _items[rng.Next(Count)];
}
