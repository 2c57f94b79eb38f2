namespace AiFactory.Registry.Client;

/// <summary>
/// The PostgreSQL channel the registry's writers notify, in the same transaction as the change, after anything that
/// alters what replicas should load or how traffic splits: <c>NOTIFY aifactory_registry, '&lt;model&gt;'</c>.
/// </summary>
public static class RegistryChannel
{
    public const string Name = "aifactory_registry";
}
