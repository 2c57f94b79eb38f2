using AiFactory.Inference.Repository;
using Microsoft.ML.OnnxRuntime;

namespace AiFactory.Inference.Runtime;

/// <summary>
/// The ONNX Runtime sessions of one model version: a shared one that runs any shape and, with a session per shape
/// (<see cref="SessionPlan"/>), one for each prepared shape, plain or a captured CUDA graph. A run goes to the session
/// of its shape when there is one.
/// </summary>
public sealed class ModelSessions(
    ISessionRunner shared, string provider, ModelSignature signature, SessionPlan plan, IReadOnlyList<long[][]> prepared,
    IReadOnlyDictionary<string, ISessionRunner> byShape) : IDisposable
{
    /// <summary>The execution provider the sessions run on, e.g. <c>CPUExecutionProvider</c>.</summary>
    public string Provider => provider;

    public ModelSignature Signature => signature;

    public SessionPlan Plan => plan;

    /// <summary>The shapes warmed at load (see <see cref="PreparedShapes"/>), one dims array per input.</summary>
    public IReadOnlyList<long[][]> Prepared => prepared;

    /// <summary>How many prepared shapes have a session of their own.</summary>
    public int SessionsOfTheirOwn => byShape.Count;

    /// <summary>
    /// One shared session and nothing else, for a session opened elsewhere (as validation does): the config's padding
    /// and prepared shapes still apply.
    /// </summary>
    public static ModelSessions Single(InferenceSession session, string provider, ModelConfig config, string modelName, string version)
    {
        var signature = ModelSignature.Of(session, config);
        var plan = SessionPlan.For(config, provider) with { SessionPerShape = false, CudaGraphs = false };
        return new ModelSessions(new SessionRunner(session, modelName, version), provider, signature, plan,
            PreparedShapes.For(signature, config, plan.Padding), new Dictionary<string, ISessionRunner>());
    }

    public IReadOnlyList<Tensor> Run(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames, out RunTimings timings)
    {
        var runner = byShape.Count > 0 && byShape.TryGetValue(PreparedShapes.Key(inputs), out var own) ? own : shared;
        return runner.Run(inputs, outputNames, out timings);
    }

    public void Dispose()
    {
        foreach (var runner in byShape.Values)
        {
            runner.Dispose();
        }

        shared.Dispose();
    }
}
