using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiFactory.Cli.Upload;

namespace AiFactory.Cli.Api;

/// <summary>
/// The gateway's admin API over HTTP. Every answer that is not a success becomes a <see cref="CommandFailedException"/>
/// with the server's <c>{"error"}</c> message and the exit code of its status; a gateway that cannot be reached, or
/// does not answer in time, becomes <see cref="ExitCodes.Unavailable"/>.
/// </summary>
internal sealed class AdminApiClient : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(100);

    // Admin answers are small; a bound keeps a wrong URL (a file server, say) from filling the memory.
    private const int MaxResponseBytes = 64 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly Uri _gateway;

    public AdminApiClient(GatewayConnection connection)
    {
        _gateway = connection.Gateway;
        // No client-wide timeout: an upload takes as long as its bytes take. Other calls get RequestTimeout each.
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) })
        {
            BaseAddress = connection.Gateway,
            Timeout = Timeout.InfiniteTimeSpan,
            MaxResponseContentBufferSize = MaxResponseBytes,
        };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", connection.ApiKey);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("aifactory-cli", Version));
    }

    private static string Version { get; } =
        typeof(AdminApiClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0";

    public Task<JsonNode> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, path), RequestTimeout, cancellationToken);

    /// <param name="timeout">How long the call may take; <see cref="RequestTimeout"/> unless given (an optimization takes minutes).</param>
    public Task<JsonNode> SendJsonAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        SendAsync(new HttpRequestMessage(method, path)
        {
            Content = body is null ? null : new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        }, timeout ?? RequestTimeout, cancellationToken);

    public Task<JsonNode> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Delete, path), RequestTimeout, cancellationToken);

    /// <summary>
    /// Streams <paramref name="content"/> as the body (never held whole in memory), reporting the bytes written to
    /// the connection. With <c>Expect: 100-continue</c>, a refusal the gateway decides before reading the body (a
    /// bad key, a body too large) comes back before the file is sent. With <paramref name="labelledSet"/>, the body is
    /// multipart: the part <c>labelled_set</c> first, so a set the gateway refuses is refused before the model is sent,
    /// then the part <c>model</c>.
    /// </summary>
    public Task<JsonNode> UploadAsync(string path, Stream content, IProgress<long> progress, CancellationToken cancellationToken, Stream? labelledSet = null)
    {
        HttpContent model = new ProgressStreamContent(content, progress);
        model.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = model };
        if (labelledSet is not null)
        {
            var set = new StreamContent(labelledSet);
            set.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Content = new MultipartFormDataContent { { set, "labelled_set", "labelled-set.json" }, { model, "model", "model.onnx" } };
        }

        request.Headers.ExpectContinue = true;
        return SendAsync(request, timeout: null, cancellationToken);
    }

    private async Task<JsonNode> SendAsync(HttpRequestMessage request, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        using var _ = request;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit)
        {
            deadline.CancelAfter(limit);
        }

        try
        {
            using var response = await _http.SendAsync(request, deadline.Token);
            var body = await response.Content.ReadAsStringAsync(deadline.Token);
            if (!response.IsSuccessStatusCode)
            {
                throw new CommandFailedException(ExitCodes.ForStatus(response.StatusCode), ErrorMessage(response, body));
            }

            return ParseBody(body, request);
        }
        catch (HttpRequestException e)
        {
            throw new CommandFailedException(ExitCodes.Unavailable, $"cannot reach the gateway at {_gateway}: {e.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new CommandFailedException(ExitCodes.Unavailable, $"the gateway at {_gateway} did not answer within {timeout?.TotalSeconds:0} s");
        }
    }

    /// <summary>The server's <c>{"error"}</c> message with its status; the status alone when the body has none.</summary>
    private static string ErrorMessage(HttpResponseMessage response, string body)
    {
        var status = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}".TrimEnd();
        try
        {
            if (JsonNode.Parse(body) is JsonObject error && error["error"] is JsonValue message)
            {
                return $"{message} ({status})";
            }
        }
        catch (JsonException)
        {
            // Not the API's error shape (a proxy's page, say): the status says enough.
        }

        return $"{status} from {response.RequestMessage?.Method} {response.RequestMessage?.RequestUri?.AbsolutePath}";
    }

    private JsonNode ParseBody(string body, HttpRequestMessage request)
    {
        try
        {
            return JsonNode.Parse(body.Length == 0 ? "{}" : body) ?? new JsonObject();
        }
        catch (JsonException e)
        {
            throw new CommandFailedException(ExitCodes.Unavailable,
                $"{request.RequestUri} answered with something that is not JSON ({e.Message}); is {_gateway} an AiFactory gateway?");
        }
    }

    public void Dispose() => _http.Dispose();
}
