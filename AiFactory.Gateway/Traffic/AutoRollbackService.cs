using AiFactory.Gateway.Errors;
using AiFactory.Gateway.Registry;
using Microsoft.Extensions.Options;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// Every <see cref="AutoRollbackOptions.EvaluationInterval"/>, compares each canary (a version with weight above 0
/// beside the stable one, the largest weight) with the stable version over what this gateway routed under the policy
/// in force (<see cref="RolloutWindow"/>), and rolls the policy back when the canary did worse by the configured
/// margins. Each gateway judges what it saw; the rollback applies only while the policy judged is still in force, so
/// gateways that saw the same failure roll back once.
/// </summary>
public sealed partial class AutoRollbackService(
    TrafficPolicies policies,
    RolloutWindow window,
    RegistryStore registry,
    RolloutMetrics metrics,
    IOptions<AutoRollbackOptions> options,
    TimeProvider time,
    ILogger<AutoRollbackService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.EvaluationInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await EvaluateAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // PostgreSQL down, say: the next evaluation tries again with what the window holds then.
                LogEvaluationFailed(logger, e);
            }
        }
    }

    /// <summary>One evaluation of every policy in force; returns the models rolled back.</summary>
    public async Task<IReadOnlyList<string>> EvaluateAsync(CancellationToken cancellationToken)
    {
        var inForce = policies.AllInForce.ToList();
        window.Prune(inForce.ToDictionary(policy => policy.Model, policy => policy.Id));
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return [];
        }

        var rolledBack = new List<string>();
        foreach (var policy in inForce)
        {
            var stable = window.Figures(policy.Model, policy.Id, policy.Stable);
            var breach = policy.Weights.Where(weight => weight.Percent > 0 && weight.Version != policy.Stable)
                .Select(canary => RolloutEvaluator.Evaluate(settings, stable, window.Figures(policy.Model, policy.Id, canary.Version)))
                .FirstOrDefault(breach => breach is not null);
            if (breach is null)
            {
                continue;
            }

            // The same store method as the rollback endpoint; only while the policy judged is still in force.
            PolicyRecord? now;
            try
            {
                now = await registry.RollbackAsync(policy.Model, breach.Reason, AuditLog.SystemKeyId, cancellationToken, policy.Id, breach.Figures);
            }
            catch (RequestRefusedException e)
            {
                // A first policy has nothing to return to: the breach stays visible in the log and the metrics.
                LogCannotRollBack(logger, policy.Model, policy.Id, breach.Reason, e.Message);
                continue;
            }

            if (now is not null)
            {
                metrics.AutoRollback(policy.Model);
                LogRolledBack(logger, policy.Model, policy.Id, now.Id, breach.Reason);
                policies.Wake();
                rolledBack.Add(policy.Model);
            }
        }

        return rolledBack;
    }

    [LoggerMessage(LogLevel.Warning, "Model {Model}: traffic policy {From} rolled back (now policy {To}): {Reason}")]
    private static partial void LogRolledBack(ILogger logger, string model, long from, long to, string reason);

    [LoggerMessage(LogLevel.Warning, "Model {Model}: traffic policy {Policy} breaches the rollout margins ({Reason}) but cannot be rolled back: {Refusal}")]
    private static partial void LogCannotRollBack(ILogger logger, string model, long policy, string reason, string refusal);

    [LoggerMessage(LogLevel.Error, "Evaluating the rollouts failed; the next evaluation tries again")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);
}
