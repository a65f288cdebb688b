using MixBit.Nn.Optim;
using MixBit.Tensors;

namespace MixBit.Search.Ddpg;

/// <summary>
/// Deep deterministic policy gradient (Lillicrap et al. 2016) as HAQ uses it, for a one-dimensional action in [0, 1]:
/// the actor mu(s) = sigmoid(MLP(s)), the critic Q(s, a) = MLP([s, a]), target copies of both updated softly.
/// One <see cref="Update"/>: sample a batch; subtract the moving-average reward baseline (b += alpha * (mean r - b));
/// critic target y = r - b + gamma * Q'(s', mu'(s')) * (1 - terminal), critic loss mean (Q(s, a) - y)^2; actor loss
/// -mean Q(s, mu(s)) with dQ/da through the critic; then theta' = (1 - tau) theta' + tau theta for both targets.
/// </summary>
public sealed class DdpgAgent
{
    private readonly DdpgOptions _o;
    private readonly Mlp _actor, _actorTarget, _critic, _criticTarget;
    private readonly Adam _actorOptimizer, _criticOptimizer;
    private readonly ReplayBuffer _buffer;
    private readonly SearchRandom _rng;
    private readonly int _stateSize;
    private readonly Tensor _states, _nextStates, _criticInput, _one, _gradient;
    private readonly float[] _rewards, _actions, _targets;
    private readonly bool[] _terminal;
    private float? _baseline;

    public DdpgAgent(int stateSize, int stepsPerEpisode, DdpgOptions options, int seed)
    {
        options.Validate();
        (_o, _stateSize, _rng) = (options, stateSize, new SearchRandom(seed, stream: 1));
        int[] hidden = [options.Hidden1, options.Hidden2];
        _actor = new Mlp(stateSize, hidden, 1, _rng, "actor");
        _actorTarget = new Mlp(stateSize, hidden, 1, _rng, "actor_target");
        _critic = new Mlp(stateSize + 1, hidden, 1, _rng, "critic");
        _criticTarget = new Mlp(stateSize + 1, hidden, 1, _rng, "critic_target");
        double start = ActionMapping.Centre(options.InitialBits);
        _actor.SetOutputBias((float)Math.Log(start / (1 - start))); // sigmoid^-1: mu(s) starts at the centre of InitialBits
        _actorTarget.CopyFrom(_actor);
        _criticTarget.CopyFrom(_critic);
        _actorOptimizer = new Adam(_actor.Parameters) { LearningRate = options.ActorLearningRate };
        _criticOptimizer = new Adam(_critic.Parameters) { LearningRate = options.CriticLearningRate };
        _buffer = new ReplayBuffer(options.ReplayEpisodes * Math.Max(1, stepsPerEpisode));
        int n = options.BatchSize;
        (_states, _nextStates, _criticInput) = (new Tensor(n, stateSize), new Tensor(n, stateSize), new Tensor(n, stateSize + 1));
        (_one, _gradient) = (new Tensor(1, stateSize), new Tensor(n, 1));
        (_rewards, _actions, _targets, _terminal) = (new float[n], new float[n], new float[n], new bool[n]);
    }

    public int Stored => _buffer.Count;

    /// <summary>The moving-average reward baseline (null before the first update).</summary>
    public float? Baseline => _baseline;

    /// <summary>The deterministic action mu(s) in (0, 1).</summary>
    public double Act(float[] state)
    {
        state.CopyTo(_one.Data, 0);
        return Sigmoid(_actor.Forward(_one).Data[0]);
    }

    public void Observe(Transition t) => _buffer.Add(t);

    /// <summary>One minibatch update of critic, actor and targets; no-op until a batch is available.</summary>
    public void Update()
    {
        int n = _o.BatchSize, s = _stateSize;
        if (_buffer.Count < n) return;
        for (int i = 0; i < n; i++)
        {
            var t = _buffer.Sample(_rng);
            t.State.CopyTo(_states.Data, i * s);
            t.NextState.CopyTo(_nextStates.Data, i * s);
            (_rewards[i], _actions[i], _terminal[i]) = (t.Reward, t.Action, t.Terminal);
        }
        float mean = _rewards.Average();
        _baseline = _baseline is { } b ? b + _o.BaselineAlpha * (mean - b) : mean;

        // Critic target from the target networks.
        var nextActions = _actorTarget.Forward(_nextStates);
        FillCriticInput(_nextStates, i => Sigmoid(nextActions.Data[i]));
        var nextQ = _criticTarget.Forward(_criticInput);
        for (int i = 0; i < n; i++)
            _targets[i] = _rewards[i] - _baseline.Value + (_terminal[i] ? 0f : _o.Discount * nextQ.Data[i]);

        // Critic: minimise mean (Q(s, a) - y)^2.
        FillCriticInput(_states, i => _actions[i]);
        var q = _critic.Forward(_criticInput);
        for (int i = 0; i < n; i++) _gradient.Data[i] = 2f * (q.Data[i] - _targets[i]) / n;
        _critic.ZeroGradients();
        _critic.Backward(_gradient);
        _criticOptimizer.Step();

        // Actor: maximise Q(s, mu(s)); dL/dz = -(1/n) dQ/da * a (1 - a) through the sigmoid.
        var z = _actor.Forward(_states);
        var mu = new float[n];
        for (int i = 0; i < n; i++) mu[i] = Sigmoid(z.Data[i]);
        FillCriticInput(_states, i => mu[i]);
        _critic.Forward(_criticInput);
        for (int i = 0; i < n; i++) _gradient.Data[i] = -1f / n;
        var dInput = _critic.Backward(_gradient);
        for (int i = 0; i < n; i++) _gradient.Data[i] = dInput.Data[i * (s + 1) + s] * mu[i] * (1 - mu[i]);
        _actor.ZeroGradients();
        _actor.Backward(_gradient);
        _actorOptimizer.Step();
        _critic.ZeroGradients(); // the actor's pass left critic gradients behind; they are not a critic step

        _actorTarget.SoftUpdateFrom(_actor, _o.Tau);
        _criticTarget.SoftUpdateFrom(_critic, _o.Tau);
    }

    private void FillCriticInput(Tensor states, Func<int, float> action)
    {
        int s = _stateSize;
        for (int i = 0; i < _o.BatchSize; i++)
        {
            states.Data.AsSpan(i * s, s).CopyTo(_criticInput.Data.AsSpan(i * (s + 1), s));
            _criticInput.Data[i * (s + 1) + s] = action(i);
        }
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-Math.Clamp(x, -30f, 30f)));
}
