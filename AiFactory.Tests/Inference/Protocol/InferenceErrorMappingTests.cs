using System.Net;
using AiFactory.Inference.Grpc;
using AiFactory.Inference.Protocol;
using AiFactory.Inference.Protocol.Rest;
using AiFactory.Tests.Infrastructure;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using static AiFactory.Tests.Infrastructure.OipRequests;

namespace AiFactory.Tests.Inference.Protocol;

/// <summary>
/// The core's one error type as each edge answers it: REST through the one exception handler (real ASP.NET Core
/// middleware), gRPC through the one interceptor. A server fault is answered without its details and logged; a
/// refusal is answered and not logged as an error.
/// </summary>
public sealed class InferenceErrorMappingTests : IAsyncLifetime
{
    private readonly RecordingLoggerProvider _log = new();
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public static TheoryData<InferenceErrorKind, HttpStatusCode, StatusCode> Kinds => new()
    {
        { InferenceErrorKind.InvalidArgument, HttpStatusCode.BadRequest, StatusCode.InvalidArgument },
        { InferenceErrorKind.NotFound, HttpStatusCode.NotFound, StatusCode.NotFound },
        { InferenceErrorKind.ResourceExhausted, HttpStatusCode.RequestEntityTooLarge, StatusCode.ResourceExhausted },
        { InferenceErrorKind.DeadlineExceeded, HttpStatusCode.RequestTimeout, StatusCode.DeadlineExceeded },
        { InferenceErrorKind.Unavailable, HttpStatusCode.ServiceUnavailable, StatusCode.Unavailable },
    };

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders().AddProvider(_log);
        _app = builder.Build();
        _app.UseInferenceErrors();
        _app.MapGet("/refuse/{kind}", (InferenceErrorKind kind) => { throw new InferenceError(kind, $"refused as {kind}"); });
        _app.MapGet("/fault", () => { throw new InvalidOperationException("Password=hunter2 leaked from a connection string"); });
        await _app.StartAsync();
        _http = _app.GetTestClient();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Each_kind_has_one_http_status_and_one_grpc_status(InferenceErrorKind kind, HttpStatusCode http, StatusCode grpc)
    {
        using var response = await _http.GetAsync($"/refuse/{kind}");
        var rpc = await Assert.ThrowsAsync<RpcException>(() => new InferenceErrorInterceptor().UnaryServerHandler<string, string>(
            "request", null!, (_, _) => throw new InferenceError(kind, $"refused as {kind}")));

        Assert.Equal(http, response.StatusCode);
        Assert.Equal($"refused as {kind}", ErrorOf(await response.Content.ReadAsStringAsync()).GetString());
        Assert.Equal(grpc, rpc.StatusCode);
        Assert.Equal($"refused as {kind}", rpc.Status.Detail);
        Assert.False(_log.Lines.Any(line => line.Contains(" Error ")), _log.AllLines());
    }

    [Fact]
    public async Task A_server_fault_answers_500_without_its_details_and_goes_to_the_log()
    {
        using var response = await _http.GetAsync("/fault");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(InferenceErrorHandler.InternalErrorMessage, ErrorOf(body).GetString());
        Assert.DoesNotContain("hunter2", body);
        Assert.Contains(_log.Lines, line => line.Contains(" Error ") && line.Contains("Password=hunter2 leaked from a connection string"));
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }
}
