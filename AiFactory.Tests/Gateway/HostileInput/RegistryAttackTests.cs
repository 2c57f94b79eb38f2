using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AiFactory.Tests.Infrastructure;
using AiFactory.Tests.Storage;
using Aspire.Hosting.Testing;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Gateway.HostileInput;

/// <summary>
/// The registry's admin API against callers who lie about sizes, send more than allowed, plant names the data plane
/// could not serve, smuggle bad configs or hold the wrong key. Each is refused with its status and a message naming
/// the problem, and nothing is stored for it.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class RegistryAttackTests(AppHostFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const string NameRule = ": a model name is 1 to 128 ASCII letters, digits, '-', '_' or '.', not starting with '.'";

    public static TheoryData<string, string, string> BadNames => new()
    {
        { "hidden name", ".hidden", $"invalid model name '.hidden'{NameRule}" },
        { "doubly encoded NUL", "a%2500b", $"invalid model name 'a%00b'{NameRule}" },
        { "encoded slash", "a%2Fb", $"invalid model name 'a%2Fb'{NameRule}" },
        { "doubly encoded slash", "a%252F..%252Fb", $"invalid model name 'a%2F..%2Fb'{NameRule}" },
        { "space", "a%20b", $"invalid model name 'a b'{NameRule}" },
        { "non-ASCII", "%C3%A9t%C3%A9", $"invalid model name 'été'{NameRule}" },
        { "200 characters", new string('a', 200), $"invalid model name '{new string('a', 64)}...' (200 characters){NameRule}" },
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task A_model_name_the_data_plane_could_not_serve_is_a_400_and_nothing_is_stored(string attack, string rawName, string error)
    {
        using var admin = fixture.CreateGatewayClient();
        using var request = Raw(admin, HttpMethod.Post, $"/api/admin/models/{rawName}/versions", Onnx(OnnxModelWriter.Chain("x", "y", "FP32", "Identity")));

        using var response = await admin.SendAsync(request).WaitAsync(Timeout);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{attack}: {(int)response.StatusCode} {body}");
        Assert.Equal(error, ErrorOf(body).GetString());
    }

    [Fact]
    public async Task Dot_segments_never_reach_the_registry_as_a_model_name()
    {
        using var admin = fixture.CreateGatewayClient();
        using var request = Raw(admin, HttpMethod.Post, "/api/admin/models/../versions", Onnx(OnnxModelWriter.Chain("x", "y", "FP32", "Identity")));

        using var response = await admin.SendAsync(request).WaitAsync(Timeout);

        // Kestrel resolves the dot segment: /api/admin/versions is no route.
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var models = JsonNode.Parse(await admin.GetStringAsync("/api/admin/models"))!.AsArray();
        Assert.DoesNotContain(models, model => model!["name"]!.GetValue<string>() is ".." or "." or "versions");
    }

    [Fact]
    public async Task Names_differing_in_case_are_two_models_not_one()
    {
        using var admin = fixture.CreateGatewayClient();
        var lower = RegistryClient.NewModelName("case");
        var upper = lower.ToUpperInvariant();

        await admin.UploadAsync(lower, OnnxModelWriter.Chain("x", "y", "FP32", "Identity"));
        var other = await admin.UploadAsync(upper, OnnxModelWriter.Chain("x", "y", "FP32", "Identity"));

        Assert.Equal((upper, 1), (other["model"]!.GetValue<string>(), other["version"]!.GetValue<int>()));
        Assert.Equal(lower, (await admin.ModelAsync(lower))["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_encoded_nul_in_the_model_name_is_refused_by_the_server_and_stores_nothing()
    {
        using var admin = fixture.CreateGatewayClient();
        using var request = Raw(admin, HttpMethod.Post, "/api/admin/models/a%00b/versions", Onnx(OnnxModelWriter.Chain("x", "y", "FP32", "Identity")));

        using var response = await admin.SendAsync(request).WaitAsync(Timeout);

        // Kestrel refuses a path that decodes to a NUL before any route sees it.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var models = JsonNode.Parse(await admin.GetStringAsync("/api/admin/models"))!.AsArray();
        Assert.DoesNotContain(models, model => model!["name"]!.GetValue<string>().Contains('\0'));
    }

    [Fact]
    public async Task A_body_that_stops_short_of_its_declared_content_length_times_out_with_a_408_and_stores_nothing()
    {
        var model = RegistryClient.NewModelName("stalled-body");

        // 1000 of the 100000 bytes declared, then nothing: Kestrel's minimum data rate (240 B/s after 5 s) ends it.
        var answer = await RawExchangeAsync(GatewayAddress(), model, declaredLength: 100_000, new byte[1000], closeAfterSending: false);

        Assert.StartsWith("HTTP/1.1 408 ", answer);
        Assert.Contains("{\"error\":\"the request could not be read: Reading the request body timed out due to data arriving too slowly. See MinRequestBodyDataRate.\"}", answer);
        await AssertNoModelAsync(model);
    }

    [Fact]
    public async Task A_body_closed_before_its_declared_content_length_stores_nothing()
    {
        var model = RegistryClient.NewModelName("short-body");

        var answer = await RawExchangeAsync(GatewayAddress(), model, declaredLength: 100_000, new byte[1000], closeAfterSending: true);

        // The client is gone: there is no one to answer, and nothing of the upload is kept.
        Assert.Equal("", answer);
        await AssertNoModelAsync(model);
    }

    [Fact]
    public async Task A_body_longer_than_its_declared_content_length_stores_only_the_declared_bytes()
    {
        var model = RegistryClient.NewModelName("long-body");
        var sent = new byte[2000];
        new Random(3).NextBytes(sent);

        var answer = await RawExchangeAsync(GatewayAddress(), model, declaredLength: 1000, sent, closeAfterSending: false);

        Assert.StartsWith("HTTP/1.1 201 ", answer);
        using var admin = fixture.CreateGatewayClient();
        var version = (await admin.ModelAsync(model))["versions"]!.AsArray().Single()!;
        Assert.Equal((1000, Convert.ToHexStringLower(SHA256.HashData(sent.AsSpan(0, 1000)))),
            (version["size_bytes"]!.GetValue<long>(), version["sha256"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_declared_length_over_the_limit_is_a_413_before_the_client_sends_the_body()
    {
        await using var gateway = await SmallLimitGatewayAsync();
        var model = RegistryClient.NewModelName("declared-large");

        // Expect: 100-continue, then only the headers: the answer must come without the body.
        var answer = await RawExchangeAsync(gateway.Address!, model, declaredLength: 64L * 1024 * 1024, [], closeAfterSending: false, expectContinue: true);

        Assert.StartsWith("HTTP/1.1 413 ", answer);
        Assert.DoesNotContain("100 Continue", answer);
        Assert.Contains($"{{\"error\":\"the model is larger than the limit of {SmallLimit} bytes (Registry:MaxUploadBytes)\"}}", answer);
        await AssertNoModelAsync(model);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_a_413_after_at_most_the_limit_read()
    {
        await using var gateway = await SmallLimitGatewayAsync();
        var model = RegistryClient.NewModelName("chunked-large");

        // 256 MiB offered in chunks, no length declared, by a client that reads while it sends (as curl does), so it
        // sees an answer that comes before its body ends. (HttpClient sends the whole body before it reads any answer.)
        var (answer, sent) = await ChunkedExchangeAsync(gateway.Address!, model, offered: 256L * 1024 * 1024);

        Assert.StartsWith("HTTP/1.1 413 ", answer);
        Assert.Contains($"{{\"error\":\"the model is larger than the limit of {SmallLimit} bytes (Registry:MaxUploadBytes)\"}}", answer);
        // The gateway stops at the limit and one byte; what the client sent beyond is what the sockets' buffers took.
        Assert.True(sent < 32L * 1024 * 1024, $"{sent} bytes of the body were sent for a limit of {SmallLimit}");
        await AssertNoModelAsync(model);
    }

    public static TheoryData<string, string, string, string> Unauthorised => new()
    {
        { "infer", "POST", "/api/admin/models/m/versions", "the API key does not have the 'admin' scope" },
        { "read", "POST", "/api/admin/models/m/versions", "the API key does not have the 'admin' scope" },
        { "infer", "PUT", "/api/admin/models/text-direction/traffic", "the API key does not have the 'admin' scope" },
        { "infer", "POST", "/api/admin/models/text-direction/rollback", "the API key does not have the 'admin' scope" },
        { "infer", "GET", "/api/admin/models", "the API key does not have the 'admin' scope" },
        { "infer", "GET", "/api/admin/audit", "the API key does not have the 'admin' scope" },
        { "", "POST", "/api/admin/models/m/versions", "an API key is required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'" },
        { "", "GET", "/api/admin/audit", "an API key is required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'" },
    };

    [Theory]
    [MemberData(nameof(Unauthorised))]
    public async Task A_caller_without_the_admin_scope_is_refused_before_anything_is_read(string scope, string method, string path, string error)
    {
        using var admin = fixture.CreateGatewayClient();
        var key = scope.Length == 0 ? null : (await admin.CreateKeyAsync($"registry-{scope}", [scope])).Key;
        using var client = key is null ? new HttpClient { BaseAddress = fixture.App.GetEndpoint("gateway", "http") } : fixture.CreateGatewayClient(key);
        using var request = new HttpRequestMessage(new HttpMethod(method), path)
        {
            Content = method == "GET" ? null
                : path.EndsWith("/versions", StringComparison.Ordinal) ? Onnx(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"))
                : new StringContent("""{"weights": {"1": 100}, "reason": "not mine to change"}""", Encoding.UTF8, "application/json"),
        };

        using var response = await client.SendAsync(request).WaitAsync(Timeout);

        Assert.Equal(key is null ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(error, ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Theory]
    [InlineData("[1, 2]", "'config' must be a JSON object (the version's config.json)")]
    [InlineData("\"max_batch_size\"", "'config' must be a JSON object (the version's config.json)")]
    [InlineData("{\"max_batch_size\": ", "'config' is not valid JSON: ")]
    public async Task A_config_that_is_not_a_json_object_is_a_400_naming_config(string config, string error)
    {
        using var admin = fixture.CreateGatewayClient();

        using var response = await admin.PostVersionAsync(RegistryClient.NewModelName("config"), OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), config);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith(error, ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    [Fact]
    public async Task A_config_part_over_64_kib_is_a_400_naming_config_and_stores_nothing()
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("config-large");
        using var form = new MultipartFormDataContent
        {
            { Onnx(OnnxModelWriter.Chain("x", "y", "FP32", "Identity")), "model", "model.onnx" },
            { new StringContent($"{{\"padding\": \"{new string('x', 70 * 1024)}\"}}"), "config" },
        };

        using var response = await admin.PostAsync(RegistryClient.VersionsPath(model), form).WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("'config' is larger than 65536 bytes", ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        using var missing = await admin.GetAsync($"/api/admin/models/{model}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("two models", "model,model", "unexpected part 'model': a multipart upload has one part 'model', at most one part 'config' and at most one part 'labelled_set'")]
    [InlineData("an unknown part", "model,weights", "unexpected part 'weights': a multipart upload has one part 'model', at most one part 'config' and at most one part 'labelled_set'")]
    [InlineData("no model", "config", "the multipart upload has no part 'model'")]
    public async Task A_multipart_upload_with_parts_other_than_model_and_config_is_a_400(string attack, string parts, string error)
    {
        using var admin = fixture.CreateGatewayClient();
        var model = RegistryClient.NewModelName("parts");
        using var form = new MultipartFormDataContent();
        foreach (var part in parts.Split(','))
        {
            form.Add(part == "config" ? new StringContent("{}") : Onnx(OnnxModelWriter.WithDocString(OnnxModelWriter.Chain("x", "y", "FP32", "Identity"), part)), part);
        }

        using var response = await admin.PostAsync(RegistryClient.VersionsPath(model), form).WaitAsync(Timeout);

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, attack);
        Assert.Equal(error, ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        using var missing = await admin.GetAsync($"/api/admin/models/{model}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Theory]
    [InlineData("limit=0", "'limit' must be between 1 and 1000, not 0")]
    [InlineData("limit=1000000", "'limit' must be between 1 and 1000, not 1000000")]
    [InlineData("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "'from' must be before 'to'")]
    public async Task An_audit_query_out_of_bounds_is_a_400(string query, string error)
    {
        using var admin = fixture.CreateGatewayClient();

        using var response = await admin.GetAsync($"/api/admin/audit?{query}").WaitAsync(Timeout);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
    }

    private const long SmallLimit = 1024 * 1024;

    // On sockets: only a real connection shows Expect: 100-continue and how much of a body is taken.
    private Task<GatewayInstance> SmallLimitGatewayAsync() =>
        GatewayInstance.StartAsync(fixture, new Dictionary<string, string?> { ["Registry:MaxUploadBytes"] = SmallLimit.ToString() }, onSockets: true);

    private async Task AssertNoModelAsync(string model)
    {
        using var admin = fixture.CreateGatewayClient();
        using var missing = await admin.GetAsync($"/api/admin/models/{model}").WaitAsync(Timeout);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    /// <summary>The AppHost gateway's own Kestrel endpoint, not the proxy in front of it.</summary>
    private Uri GatewayAddress()
    {
        Assert.True(fixture.App.ResourceNotifications.TryGetCurrentState("gateway", out var state));
        return new Uri(state.Snapshot.EnvironmentVariables.Single(variable => variable.Name == "Kestrel__Endpoints__http__Url").Value!);
    }

    private static ByteArrayContent Onnx(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    // The path exactly as written: no dot segments resolved, no escapes undone.
    private static HttpRequestMessage Raw(HttpClient client, HttpMethod method, string path, HttpContent? content) =>
        new(method, new Uri(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }))
        {
            Content = content,
        };

    /// <summary>
    /// An upload written on a socket, with a Content-Length that need not be the body's; returns everything the server
    /// sent until it closed the connection or its chunked answer ended (empty when it closed without answering).
    /// </summary>
    private async Task<string> RawExchangeAsync(Uri server, string model, long declaredLength, byte[] body, bool closeAfterSending, bool expectContinue = false)
    {
        using var connection = new TcpClient();
        await connection.ConnectAsync(server.Host == "localhost" ? IPAddress.Loopback.ToString() : server.Host, server.Port).WaitAsync(Timeout);
        var stream = connection.GetStream();
        var head = $"POST {RegistryClient.VersionsPath(model)} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {fixture.AdminKey}\r\n"
                   + $"Content-Type: application/octet-stream\r\nContent-Length: {declaredLength}\r\n{(expectContinue ? "Expect: 100-continue\r\n" : "")}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
        if (closeAfterSending)
        {
            connection.Client.Shutdown(SocketShutdown.Send);
        }

        return await ReadAnswerAsync(stream);
    }

    /// <summary>
    /// An upload of <paramref name="offered"/> random bytes in 64 KiB chunks, sent while the answer is read; sending
    /// stops when the answer is complete or the server closes. Returns the answer and how many body bytes were sent.
    /// </summary>
    private async Task<(string Answer, long Sent)> ChunkedExchangeAsync(Uri server, string model, long offered)
    {
        using var connection = new TcpClient();
        await connection.ConnectAsync(server.Host == "localhost" ? IPAddress.Loopback.ToString() : server.Host, server.Port).WaitAsync(Timeout);
        var stream = connection.GetStream();
        var head = $"POST {RegistryClient.VersionsPath(model)} HTTP/1.1\r\nHost: {server.Authority}\r\nAuthorization: Bearer {fixture.AdminKey}\r\n"
                   + "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        using var answered = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            var chunk = new byte[64 * 1024];
            var size = Encoding.ASCII.GetBytes($"{chunk.Length:X}\r\n");
            var sent = 0L;
            try
            {
                for (; sent < offered && !answered.IsCancellationRequested; sent += chunk.Length)
                {
                    Random.Shared.NextBytes(chunk);
                    await stream.WriteAsync(size, answered.Token);
                    await stream.WriteAsync(chunk, answered.Token);
                    await stream.WriteAsync("\r\n"u8.ToArray(), answered.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The server closed the connection, or its answer came.
            }

            return sent;
        });

        var answer = await ReadAnswerAsync(stream);
        await answered.CancelAsync();
        connection.Close();
        return (answer, await sending.WaitAsync(Timeout));
    }

    /// <summary>Everything the server sends until it closes the connection or its chunked answer ends.</summary>
    private static async Task<string> ReadAnswerAsync(NetworkStream stream)
    {
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        using var deadline = new CancellationTokenSource(Timeout);
        try
        {
            int read;
            while (!Encoding.UTF8.GetString(answer.ToArray()).EndsWith("\r\n0\r\n\r\n") && (read = await stream.ReadAsync(buffer, deadline.Token)) > 0)
            {
                answer.Write(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // Reset by the server, or nothing more within the timeout: what arrived before is the answer.
        }

        return Encoding.UTF8.GetString(answer.ToArray());
    }
}
