namespace AiFactory.Dashboard.Gateway;

/// <summary>
/// An admin API call that did not succeed: the gateway's own <c>{"error"}</c> message with its status, or why no answer
/// came (<see cref="Status"/> null). Pages show <see cref="Message"/> as it is.
/// </summary>
public sealed class GatewayApiException(int? status, string message, Exception? inner = null) : Exception(message, inner)
{
    public int? Status { get; } = status;

    /// <summary>The endpoint does not exist on this gateway (yet): the registry's endpoints arrive with its merge.</summary>
    public bool IsNotFound => Status == StatusCodes.Status404NotFound;

    /// <summary>What the operator reads: the status, then the gateway's message.</summary>
    public string Describe() => Status is { } status ? $"The gateway answered {status}: {Message}" : Message;
}
