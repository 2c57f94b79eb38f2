using System.Text.Json.Nodes;

namespace AiFactory.Gateway.Traffic;

/// <summary>
/// Returns a model to the policy in force before the current one: what the admin API's rollback does, and what the
/// automatic rollback asks for. The registry's store implements it (one transaction: the new policy, the audit row,
/// the notification).
/// </summary>
public interface ITrafficRollback
{
    /// <summary>
    /// Rolls <paramref name="model"/> back, only if policy <paramref name="expectedPolicyId"/> is still in force (so of
    /// several gateways that saw the same canary fail, one rolls back). Audited as <c>traffic.&lt;kind&gt;</c> by
    /// <paramref name="keyId"/> with <paramref name="reason"/> and <paramref name="figures"/>. Returns the policy now
    /// in force, or null when another policy is in force or there is nothing to return to.
    /// </summary>
    Task<long?> RollbackAsync(string model, long expectedPolicyId, string kind, string keyId, string reason, JsonObject? figures,
        CancellationToken cancellationToken);
}
