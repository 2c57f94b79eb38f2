using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AiFactory.Tests.Infrastructure;

/// <summary>
/// Keeps a host's log (information and up) so a failed start can show it, and so tests can assert on what a service
/// reports it did.
/// </summary>
public sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public ILogger CreateLogger(string categoryName) => new Recorder(categoryName, _lines);

    /// <summary>Every line so far, oldest first.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    public override string ToString() => string.Join('\n', _lines.TakeLast(200));

    public string AllLines() => string.Join('\n', _lines);

    public void Dispose()
    {
    }

    private sealed class Recorder(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)} {exception?.Message}");
            }
        }
    }
}
