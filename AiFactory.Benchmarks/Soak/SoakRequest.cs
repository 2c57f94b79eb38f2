namespace AiFactory.Benchmarks.Soak;

/// <summary>The soak's API keys, by what each may do.</summary>
public enum KeyRole
{
    /// <summary>Every model, limits that never refuse.</summary>
    Unrestricted,

    /// <summary>Allowed <c>text-direction</c> only.</summary>
    Restricted,

    /// <summary>Every model, at a rate below what it is sent: its 429s are expected answers.</summary>
    RateLimited,

    /// <summary>A well-formed key the gateway never issued (a new one for each request): 401, and no usage.</summary>
    MadeUp,
}

/// <summary>
/// One kind of request of the soak's mix: what it sends (<see cref="SendAsync"/>, given the arrival's index so that
/// sizes and bodies vary), with which key, the model its usage counts under, and the outcomes a correct gateway gives.
/// </summary>
/// <param name="Name">Short and unique, for the report's tables.</param>
/// <param name="Hostile">
/// An attack. It must be refused (a 4xx, or the gRPC status of one); anything else (a 2xx, a 5xx, a timeout, a
/// transport failure) is an error. <paramref name="Expected"/> then names the refusal the gateway documents, and a
/// different refusal is reported but is not an error.
/// </param>
/// <param name="MeteredModel">The model its usage counts under (<c>(invalid)</c> for a path that names none).</param>
/// <param name="Expected">The outcomes (<see cref="Answer.Outcome"/>) a correct gateway gives.</param>
public sealed record SoakRequest(string Name, bool Hostile, KeyRole Key, string MeteredModel, string[] Expected,
    Func<SoakClient, long, CancellationToken, Task<Answer>> SendAsync)
{
    /// <summary>An error: for a valid request any outcome but the expected ones, for a hostile one anything but a refusal.</summary>
    public bool IsError(Answer answer) => Hostile ? !answer.IsRefusal : !Expected.Contains(answer.Outcome);

    /// <summary>Whether the gateway meters it at all: not without a key it issued.</summary>
    public bool Metered => Key != KeyRole.MadeUp;
}
