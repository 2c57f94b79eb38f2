using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Dashboard.Authentication;

namespace AiFactory.Dashboard.Gateway;

/// <summary>
/// The gateway's admin API, called with the signed-in operator's credential (<see cref="OperatorCredentialHandler"/>),
/// so the gateway authorises and audits the operator, never the console. Every failure becomes a
/// <see cref="GatewayApiException"/> carrying the gateway's own message.
/// </summary>
public sealed class AdminApiClient(HttpClient http, TimeSpan timeout, TimeSpan uploadTimeout)
{
    public const string HttpClientName = "gateway";

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Who <paramref name="credential"/> is, with the admin scope required: how an operator signs in.</summary>
    public Task<Caller> WhoAmIAsync(string credential, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "api/admin/whoami");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential);
        request.Options.Set(OperatorCredentialHandler.ExplicitCredential, true);
        return SendAsync<Caller>(request, cancellationToken);
    }

    public Task<OverviewReport> OverviewAsync(CancellationToken cancellationToken) => GetAsync<OverviewReport>("api/admin/overview", cancellationToken);

    public Task<KeyView[]> KeysAsync(bool includeRevoked, CancellationToken cancellationToken) =>
        GetAsync<KeyView[]>($"api/admin/keys?include_revoked={(includeRevoked ? "true" : "false")}", cancellationToken);

    public Task<CreatedKey> CreateKeyAsync(NewKey key, CancellationToken cancellationToken) =>
        SendAsync<CreatedKey>(new HttpRequestMessage(HttpMethod.Post, "api/admin/keys") { Content = JsonContent.Create(key, options: Json) }, cancellationToken);

    public Task<KeyView> RevokeKeyAsync(string id, CancellationToken cancellationToken) =>
        SendAsync<KeyView>(new HttpRequestMessage(HttpMethod.Delete, $"api/admin/keys/{Uri.EscapeDataString(id)}"), cancellationToken);

    public Task<UsageReport> UsageAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        GetAsync<UsageReport>($"api/admin/usage?from={Timestamp(from)}&to={Timestamp(to)}", cancellationToken);

    /// <summary><c>GET /api/admin/audit</c> (the registry's; a gateway without it answers 404).</summary>
    public async Task<AuditEntry[]> AuditAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var parameters = new List<string> { $"limit={query.Limit}" };
        Add(parameters, "model", query.Model);
        Add(parameters, "key_id", query.KeyId);
        // Add escapes: the times go in as they are (Timestamp escapes too, and twice is a 400).
        Add(parameters, "from", query.From is { } from ? Iso(from) : null);
        Add(parameters, "to", query.To is { } to ? Iso(to) : null);
        var answer = await GetAsync<JsonNode>($"api/admin/audit?{string.Join('&', parameters)}", cancellationToken);
        // The contract's list, bare or as {"entries": [...]}.
        var entries = answer as JsonArray ?? (answer as JsonObject)?["entries"] as JsonArray ?? [];
        try
        {
            return entries.Deserialize<AuditEntry[]>(Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new GatewayApiException(null, $"The gateway's audit entries could not be read: {e.Message}", e);
        }
    }

    /// <summary><c>GET /api/admin/models</c> (the registry's), as JSON: a gateway without the registry answers 404.</summary>
    public Task<JsonNode> ModelsAsync(CancellationToken cancellationToken) => GetAsync<JsonNode>("api/admin/models", cancellationToken);

    /// <summary>The registry's models, typed: <c>GET /api/admin/models</c>.</summary>
    public Task<ModelView[]> RegistryModelsAsync(CancellationToken cancellationToken) => GetAsync<ModelView[]>("api/admin/models", cancellationToken);

    /// <summary><c>GET /api/admin/models/{model}/canary</c>: the model's versions side by side, as the gateway answering saw them.</summary>
    public Task<CanaryReport> CanaryAsync(string model, CancellationToken cancellationToken) => GetAsync<CanaryReport>($"{ModelPath(model)}/canary", cancellationToken);

    public Task<TrafficView> SetTrafficAsync(string model, TrafficChange change, CancellationToken cancellationToken) =>
        SendAsync<TrafficView>(new HttpRequestMessage(HttpMethod.Put, $"{ModelPath(model)}/traffic") { Content = JsonContent.Create(change, options: Json) },
            cancellationToken);

    public Task<TrafficView> RollbackAsync(string model, RollbackChange change, CancellationToken cancellationToken) =>
        SendAsync<TrafficView>(new HttpRequestMessage(HttpMethod.Post, $"{ModelPath(model)}/rollback") { Content = JsonContent.Create(change, options: Json) },
            cancellationToken);

    /// <summary>
    /// <c>POST /api/admin/models/{model}/versions</c> with <paramref name="body"/> (the ONNX bytes, or the multipart parts
    /// <c>model</c> and <c>config</c>, as <paramref name="contentType"/> says) passed on as it arrives, never held whole
    /// here, under <see cref="GatewayOptions.UploadTimeout"/> rather than the short timeout of other calls.
    /// </summary>
    public Task<UploadedVersion> UploadAsync(string model, Stream body, string? contentType, long? length, CancellationToken cancellationToken)
    {
        var content = new StreamContent(body);
        if (contentType is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        content.Headers.ContentLength = length;
        return SendAsync<UploadedVersion>(new HttpRequestMessage(HttpMethod.Post, $"{ModelPath(model)}/versions") { Content = content }, cancellationToken,
            uploadTimeout);
    }

    /// <summary>
    /// <c>POST /api/admin/models/{model}/versions/{version}/optimize</c>: the new version, validating. A replica runs the
    /// transform first, so it gets <see cref="GatewayOptions.UploadTimeout"/> rather than the short timeout of other calls.
    /// </summary>
    public Task<VersionView> OptimizeAsync(string model, int version, JsonObject request, CancellationToken cancellationToken) =>
        SendAsync<VersionView>(new HttpRequestMessage(HttpMethod.Post, $"{ModelPath(model)}/versions/{version}/optimize") { Content = JsonContent.Create(request) },
            cancellationToken, uploadTimeout);

    /// <summary>The protocol's model metadata: <c>GET /v2/models/{model}/versions/{version}</c> (scope read or infer).</summary>
    public Task<TryIt.OipModelMetadata> MetadataAsync(string model, int version, CancellationToken cancellationToken) =>
        GetAsync<TryIt.OipModelMetadata>(InferencePath(model, version), cancellationToken);

    /// <summary>
    /// <c>POST /v2/models/{model}/versions/{version}/infer</c> with the operator's credential (scope infer), and how long
    /// the gateway took to answer, as the operator's browser would see it from the console.
    /// </summary>
    public async Task<(TryIt.OipAnswer Answer, TimeSpan Elapsed)> InferAsync(string model, int version, HttpContent request, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var answer = await SendAsync<TryIt.OipAnswer>(new HttpRequestMessage(HttpMethod.Post, $"{InferencePath(model, version)}/infer") { Content = request },
            cancellationToken);
        return (answer, System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    private static string InferencePath(string model, int version) =>
        $"v2/models/{Uri.EscapeDataString(model)}/versions/{version.ToString(CultureInfo.InvariantCulture)}";

    private static string ModelPath(string model) => $"api/admin/models/{Uri.EscapeDataString(model)}";

    private Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) => SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken, TimeSpan? within = null)
    {
        using (request)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(within ?? timeout);
            try
            {
                using var response = await http.SendAsync(request, deadline.Token);
                if (!response.IsSuccessStatusCode)
                {
                    throw new GatewayApiException((int)response.StatusCode, await ErrorOfAsync(response, deadline.Token));
                }

                return await response.Content.ReadFromJsonAsync<T>(Json, deadline.Token)
                       ?? throw new GatewayApiException((int)response.StatusCode, "the gateway answered an empty body");
            }
            catch (HttpRequestException e)
            {
                throw new GatewayApiException(null, $"The gateway could not be reached: {e.Message}", e);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new GatewayApiException(null, "The gateway did not answer in time.", e);
            }
            catch (JsonException e)
            {
                throw new GatewayApiException(null, $"The gateway's answer could not be read: {e.Message}", e);
            }
        }
    }

    /// <summary>The gateway's <c>{"error"}</c> message; else the status's own words.</summary>
    private static async Task<string> ErrorOfAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            if (JsonNode.Parse(body) is JsonObject json && json["error"] is JsonValue error && error.TryGetValue(out string? message))
            {
                return message;
            }
        }
        catch (JsonException)
        {
            // Not the protocol's error shape: the status says what there is to say.
        }

        return response.ReasonPhrase ?? "no message";
    }

    private static string Timestamp(DateTimeOffset time) => Uri.EscapeDataString(Iso(time));

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static void Add(List<string> parameters, string name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            parameters.Add($"{name}={Uri.EscapeDataString(value.Trim())}");
        }
    }
}
