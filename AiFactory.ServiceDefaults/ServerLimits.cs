using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Kestrel's limits from configuration (<c>Kestrel:Limits</c>, validated at start): Kestrel itself reads only its
/// endpoints from configuration. <c>MinRequestBodyDataRate</c> and <c>MinResponseDataRate</c> take
/// <c>{ "BytesPerSecond", "GracePeriod" }</c> (a <see cref="MinDataRate"/> has no settable properties to bind). What a
/// service does not configure keeps Kestrel's default.
/// </summary>
public static class ServerLimits
{
    public const string SectionName = "Kestrel:Limits";
    private const string RequestBodyRate = nameof(KestrelServerLimits.MinRequestBodyDataRate);
    private const string ResponseRate = nameof(KestrelServerLimits.MinResponseDataRate);

    /// <summary>Applies <c>Kestrel:Limits</c> to Kestrel.</summary>
    public static TBuilder AddServerLimits<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var limits = builder.Configuration.GetSection(SectionName);
        var rates = new[] { RequestBodyRate, ResponseRate }.Where(rate => limits.GetSection(rate).Exists()).ToList();
        foreach (var rate in rates)
        {
            builder.Services.AddOptions<DataRateOptions>(rate).Bind(limits.GetSection(rate)).ValidateDataAnnotations().ValidateOnStart();
        }

        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptionsMonitor<DataRateOptions>>((kestrel, configured) =>
        {
            limits.Bind(kestrel.Limits);
            if (rates.Contains(RequestBodyRate))
            {
                kestrel.Limits.MinRequestBodyDataRate = configured.Get(RequestBodyRate).ToMinDataRate();
            }

            if (rates.Contains(ResponseRate))
            {
                kestrel.Limits.MinResponseDataRate = configured.Get(ResponseRate).ToMinDataRate();
            }
        });
        return builder;
    }

    /// <summary>
    /// The client's error when reading the request body broke one of Kestrel's limits: 413 past the body size limit,
    /// 408 below the minimum data rate; null for any other failure. The exception may arrive wrapped (a proxy's
    /// request-body error, an aggregate of the copy's failures), so the whole tree is searched.
    /// </summary>
    public static (int Status, string Message)? BodyLimitError(HttpContext context, Exception? exception) => exception switch
    {
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (StatusCodes.Status413PayloadTooLarge,
             $"the request body is larger than the limit of {context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes"),
        // The server-wide rate: a request can only turn it off, and HTTP/2 requests cannot even read it.
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } =>
            (StatusCodes.Status408RequestTimeout,
             $"the request body arrived slower than the minimum of {context.RequestServices.GetService<IOptions<KestrelServerOptions>>()?.Value.Limits.MinRequestBodyDataRate?.BytesPerSecond ?? 0:0} bytes per second"),
        AggregateException aggregate => aggregate.InnerExceptions.Select(inner => BodyLimitError(context, inner)).FirstOrDefault(error => error is not null),
        null => null,
        _ => BodyLimitError(context, exception.InnerException),
    };
}

/// <summary>A minimum data rate: below <see cref="BytesPerSecond"/>, once <see cref="GracePeriod"/> has passed, the connection is closed.</summary>
public sealed class DataRateOptions
{
    [Range(1, double.MaxValue)]
    public double BytesPerSecond { get; set; }

    /// <summary>Kestrel checks rates once a second and needs a grace period above that.</summary>
    [Range(typeof(TimeSpan), "00:00:02", "00:10:00")]
    public TimeSpan GracePeriod { get; set; }

    public MinDataRate ToMinDataRate() => new(BytesPerSecond, GracePeriod);
}
