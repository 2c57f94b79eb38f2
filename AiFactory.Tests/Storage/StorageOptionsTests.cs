using AiFactory.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace AiFactory.Tests.Storage;

/// <summary>The connection string <c>ConnectionStrings:storage</c> as services read it: bad configuration fails at start, naming the key.</summary>
public sealed class StorageOptionsTests
{
    private const string S3rver =
        "Endpoint=http://127.0.0.1:4568;AccessKey=S3RVER;SecretKey=S3RVER;Bucket=aifactory;Region=us-east-1;ChunkedUploads=false;ServerSideCopy=false";

    [Fact]
    public async Task The_apphosts_local_connection_string_gives_every_setting()
    {
        var options = await StartAsync(S3rver);

        Assert.Equal(new Uri("http://127.0.0.1:4568"), options.Endpoint);
        Assert.Equal(("S3RVER", "S3RVER", "aifactory", "us-east-1"), (options.AccessKey, options.SecretKey, options.Bucket, options.Region));
        Assert.False(options.ChunkedUploads);
        Assert.False(options.ServerSideCopy);
    }

    [Fact]
    public async Task Without_the_optional_keys_chunked_uploads_and_server_side_copy_are_on()
    {
        var options = await StartAsync("Endpoint=https://s3.example.com;AccessKey=a;SecretKey=b;Bucket=models");

        Assert.True(options.ChunkedUploads);
        Assert.True(options.ServerSideCopy);
        Assert.Equal("us-east-1", options.Region);
    }

    [Theory]
    [InlineData("Endpoint=http://x:1;AccessKey=a;SecretKey=b;Bucket=aifactory;ChunkedUpload=false",
        "ConnectionStrings:storage: unknown key 'ChunkedUpload'; use Endpoint, AccessKey, SecretKey, Bucket, Region, ChunkedUploads, ServerSideCopy")]
    [InlineData("Endpoint=http://x:1;AccessKey=a;SecretKey=b;Bucket=aifactory;ServerSideCopy=no",
        "ConnectionStrings:storage: ServerSideCopy is 'no'; use true or false")]
    [InlineData("AccessKey=a;SecretKey=b;Bucket=aifactory",
        "Storage Endpoint is required, an http(s) URL (ConnectionStrings:storage or the Storage section)")]
    [InlineData("Endpoint=/relative;AccessKey=a;SecretKey=b;Bucket=aifactory",
        "ConnectionStrings:storage: Endpoint '/relative' is not an http(s) URL (http://host:port)")]
    [InlineData("Endpoint=ftp://x:1;AccessKey=a;SecretKey=b;Bucket=aifactory",
        "ConnectionStrings:storage: Endpoint 'ftp://x:1' is not an http(s) URL (http://host:port)")]
    [InlineData("Endpoint=http://x:1;AccessKey;SecretKey=b;Bucket=aifactory",
        "ConnectionStrings:storage: 'AccessKey' is not a key=value pair (pairs are separated by ';')")]
    [InlineData("Endpoint=http://x:1;AccessKey=a;Bucket=aifactory",
        "Storage AccessKey and SecretKey are required (ConnectionStrings:storage or the Storage section)")]
    [InlineData("Endpoint=http://x:1;AccessKey=a;SecretKey=b;Bucket=Models_1",
        "Storage Bucket 'Models_1' is not an S3 bucket name (3-63 lower-case letters, digits, '-' and '.') (ConnectionStrings:storage or the Storage section)")]
    public async Task A_bad_connection_string_fails_the_start_naming_the_key(string connectionString, string message)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(connectionString));

        Assert.Contains(message, failure.Message);
    }

    [Fact]
    public async Task No_storage_configuration_fails_the_start()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(connectionString: null));

        Assert.Contains("Storage Endpoint is required", failure.Message);
    }

    [Fact]
    public async Task Attack_the_secret_key_never_appears_in_an_error()
    {
        const string secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync($"Endpoint=http://x:1;AccessKey=a;SecretKey={secret};Bucket=aifactory;Typo=1"));

        Assert.DoesNotContain(secret, failure.ToString());
    }

    [Fact]
    public async Task Tuning_keys_come_from_the_storage_section_and_are_range_checked()
    {
        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(S3rver, new() { ["Storage:PartSizeBytes"] = "1024" }));
        Assert.Contains("Storage:PartSizeBytes must be between 5 MiB and 256 MiB", failure.Message);

        var options = await StartAsync(S3rver, new() { ["Storage:PartSizeBytes"] = "16777216", ["Storage:RequestTimeout"] = "00:00:30" });
        Assert.Equal(16 * 1024 * 1024, options.PartSizeBytes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RequestTimeout);
    }

    // The way a service starts: AddObjectStore, then the host validates the options at start.
    private static async Task<StorageOptions> StartAsync(string? connectionString, Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings ?? []) { ["ConnectionStrings:storage"] = connectionString });
        builder.AddObjectStore();
        // The availability monitor would probe an address that does not exist; these tests are about the options.
        builder.Services.RemoveAll<IHostedService>();
        using var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await host.StopAsync();
        return host.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
    }
}
