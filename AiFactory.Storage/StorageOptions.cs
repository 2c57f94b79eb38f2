using System.ComponentModel.DataAnnotations;

namespace AiFactory.Storage;

/// <summary>
/// Where the object store is and how to talk to it. The connection string <c>ConnectionStrings:storage</c> gives the
/// server (<c>Endpoint=http://127.0.0.1:9000;AccessKey=…;SecretKey=…;Bucket=aifactory;Region=us-east-1</c>, optionally
/// <c>ChunkedUploads=false;ServerSideCopy=false</c>); the section <c>Storage</c> may set any of the same keys and the
/// tuning ones, and the connection string wins. Validated at start.
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";

    /// <summary>S3's smallest part but the last; parts are also the memory one upload holds (twice: one read while one is sent).</summary>
    public const int MinPartSizeBytes = 5 * 1024 * 1024;

    /// <summary>The S3 endpoint, <c>http(s)://host:port</c>; requests use path-style addressing.</summary>
    public Uri? Endpoint { get; set; }

    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    public string? Bucket { get; set; }

    /// <summary>The region requests are signed for (any value for servers that ignore it).</summary>
    public string Region { get; set; } = "us-east-1";

    /// <summary>
    /// Whether the server understands aws-chunked uploads (and the SDK's default checksums, sent as chunk trailers).
    /// False for servers that store the framing inside the object (s3rver): then parts are sent whole, signed by
    /// their SHA-256, and checksums only when an operation requires them.
    /// </summary>
    public bool ChunkedUploads { get; set; } = true;

    /// <summary>Whether CopyObject works on the server; false streams copies through this process (s3rver).</summary>
    public bool ServerSideCopy { get; set; } = true;

    /// <summary>Size of each multipart part (default 8 MiB).</summary>
    [Range(MinPartSizeBytes, 256 * 1024 * 1024, ErrorMessage = "Storage:PartSizeBytes must be between 5 MiB and 256 MiB")]
    public int PartSizeBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>How long to wait for a connection to the store: a store that does not answer fails fast instead of after the SDK's default (none).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:05:00", ErrorMessage = "Storage:ConnectTimeout must be between 0.1 s and 5 min")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long one request (one part, one HEAD, the headers of a GET) may take.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Storage:RequestTimeout must be between 1 s and 1 h")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Retries after a failed request (the SDK's backoff between them); each retry waits again up to the timeouts.</summary>
    [Range(0, 10, ErrorMessage = "Storage:MaxErrorRetries must be between 0 and 10")]
    public int MaxErrorRetries { get; set; } = 2;

    /// <summary>How often the store's availability is probed, logged and reported (<c>aifactory.storage.available</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Storage:ProbeInterval must be between 1 s and 1 h")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Applies the keys of a connection string. Every key must be one of the server keys above; a typo fails here,
    /// naming the key, instead of being silently ignored. The message never contains the secret. Values cannot hold ';'.
    /// </summary>
    public void ApplyConnectionString(string connectionString, string connectionName)
    {
        var where = $"ConnectionStrings:{connectionName}";
        foreach (var pair in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = pair.IndexOf('=');
            if (separator <= 0)
            {
                throw new InvalidOperationException($"{where}: '{pair.Split('=')[0]}' is not a key=value pair (pairs are separated by ';')");
            }

            var key = pair[..separator].Trim();
            var value = pair[(separator + 1)..].Trim();
            switch (key.ToLowerInvariant())
            {
                case "endpoint":
                    Endpoint = Uri.TryCreate(value, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"
                        ? endpoint
                        : throw new InvalidOperationException($"{where}: Endpoint '{value}' is not an http(s) URL (http://host:port)");
                    break;
                case "accesskey":
                    AccessKey = value;
                    break;
                case "secretkey":
                    SecretKey = value;
                    break;
                case "bucket":
                    Bucket = value;
                    break;
                case "region":
                    Region = value;
                    break;
                case "chunkeduploads":
                    ChunkedUploads = ParseBoolean(where, "ChunkedUploads", value);
                    break;
                case "serversidecopy":
                    ServerSideCopy = ParseBoolean(where, "ServerSideCopy", value);
                    break;
                default:
                    throw new InvalidOperationException(
                        $"{where}: unknown key '{key}'; use Endpoint, AccessKey, SecretKey, Bucket, Region, ChunkedUploads, ServerSideCopy");
            }
        }
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        const string from = "(ConnectionStrings:storage or the Storage section)";
        if (Endpoint is null || Endpoint.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult($"Storage Endpoint is required, an http(s) URL {from}", [nameof(Endpoint)]);
        }

        if (string.IsNullOrEmpty(AccessKey) || string.IsNullOrEmpty(SecretKey))
        {
            yield return new ValidationResult($"Storage AccessKey and SecretKey are required {from}", [nameof(AccessKey), nameof(SecretKey)]);
        }

        if (!IsBucketName(Bucket))
        {
            yield return new ValidationResult(
                $"Storage Bucket '{Bucket}' is not an S3 bucket name (3-63 lower-case letters, digits, '-' and '.') {from}", [nameof(Bucket)]);
        }

        if (string.IsNullOrWhiteSpace(Region))
        {
            yield return new ValidationResult($"Storage Region must not be empty {from}", [nameof(Region)]);
        }
    }

    private static bool ParseBoolean(string where, string key, string value) =>
        bool.TryParse(value, out var result)
            ? result
            : throw new InvalidOperationException($"{where}: {key} is '{value}'; use true or false");

    private static bool IsBucketName(string? name) =>
        name is { Length: >= 3 and <= 63 }
        && char.IsAsciiLetterOrDigit(name[0]) && char.IsAsciiLetterOrDigit(name[^1])
        && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.');
}
