using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace AiFactory.Dashboard.Gateway;

/// <summary>What the dashboard asks the gateway: the dashboard never talks to inference or the database itself.</summary>
public sealed class GatewayClient(HttpClient http)
{
    /// <summary>Every model version the inference replicas report through the gateway, with its state.</summary>
    public async Task<IReadOnlyList<ModelStatus>> GetModelsAsync(CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync("/v2/repository/index", content: null, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync(DashboardJsonContext.Default.ListModelStatus, cancellationToken) ?? [];
    }
}

/// <summary>One row of the Open Inference Protocol repository index.</summary>
public sealed record ModelStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("state")] string? State,
    [property: JsonPropertyName("reason")] string? Reason)
{
    public bool IsReady => State == "READY";
}

[JsonSerializable(typeof(List<ModelStatus>))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
