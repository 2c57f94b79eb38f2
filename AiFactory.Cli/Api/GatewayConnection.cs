namespace AiFactory.Cli.Api;

/// <summary>The gateway a run talks to and the key it presents. Not a record: its text must never show the key.</summary>
internal sealed class GatewayConnection(Uri gateway, string apiKey)
{
    /// <summary>The gateway's URL, ending with '/' (the admin paths are relative to it).</summary>
    public Uri Gateway { get; } = gateway;

    public string ApiKey { get; } = apiKey;

    public override string ToString() => Gateway.ToString();
}
