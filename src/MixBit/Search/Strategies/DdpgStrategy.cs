using System.Globalization;
using MixBit.Search.Ddpg;

namespace MixBit.Search.Strategies;

/// <summary>
/// The HAQ-style reinforcement-learning search. Each episode walks the decision steps: the actor proposes an action
/// from the state (uniform random during warm-up, then truncated-normal noise around mu(s)), mapped to {2, 4, 8}; the
/// constraint step (<see cref="SearchEnvironment.Constrain"/>) makes the policy fit; it is evaluated (cached if seen) and the
/// reward goes to every transition of the episode. Transitions carry the bits that were actually evaluated: the states
/// are re-encoded with the repaired bits and each action is the agent's own where the repair kept its bits, else the
/// centre of the repaired bits' interval (<see cref="ActionMapping.Effective"/>), so the critic learns the value of what
/// was measured and the agent cannot leave the fitting to the repair. After warm-up, one update per stored transition.
/// </summary>
public sealed class DdpgStrategy(int episodes, int seed, DdpgOptions? options = null) : ISearchStrategy
{
    private readonly DdpgOptions _options = options ?? new DdpgOptions();

    public string Name => "ddpg";

    public int PlannedQueries(SearchEnvironment env) => episodes;

    public SearchOutcome Run(SearchEnvironment env, CancellationToken cancel = default)
    {
        var steps = env.Space.Steps;
        if (steps.Count == 0) // every layer pinned: one policy, nothing to learn
            return SearchOutcome.From(this, env, env.Evaluate(env.Repair(env.Space.ToPolicy([])), "episode", "no decisions", cancel));
        var agent = new DdpgAgent(StateEncoder.Size, steps.Count, _options, seed);
        var rng = new SearchRandom(seed, stream: 2);
        for (int episode = 0; episode < episodes; episode++)
        {
            cancel.ThrowIfCancellationRequested();
            bool warmup = episode < _options.WarmupEpisodes;
            double sigma = _options.SigmaAt(episode, episodes);
            var raw = new double[steps.Count];
            var chosen = new int[steps.Count];
            for (int i = 0; i < steps.Count; i++)
            {
                var state = env.Encoder.Encode(i, chosen);
                raw[i] = warmup ? rng.NextDouble() : TruncatedNormal.Sample(rng, agent.Act(state), sigma);
                chosen[i] = ActionMapping.ToBits(raw[i]);
            }
            var policy = env.Constrain(raw);
            var note = warmup ? "warm-up" : string.Create(CultureInfo.InvariantCulture, $"sigma {sigma:0.####}");
            var trial = env.Evaluate(policy, "episode", note, cancel);

            var evaluated = env.Space.FromPolicy(trial.Policy);
            var states = Enumerable.Range(0, steps.Count + 1).Select(i => env.Encoder.Encode(Math.Min(i, steps.Count - 1), evaluated)).ToArray();
            for (int i = 0; i < steps.Count; i++)
            {
                bool last = i == steps.Count - 1;
                agent.Observe(new Transition(states[i], (float)ActionMapping.Effective(raw[i], evaluated[i]), (float)trial.Reward,
                    last ? states[i] : states[i + 1], last));
            }
            if (!warmup)
                for (int i = 0; i < steps.Count; i++) agent.Update();
        }
        return SearchOutcome.From(this, env);
    }
}
