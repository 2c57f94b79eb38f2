namespace AiFactory.Inference.Repository;

/// <summary>States of a model version, as the <c>model_repository</c> extension names them.</summary>
public static class ModelState
{
    public const string Loading = "LOADING";
    public const string Ready = "READY";
    public const string Unavailable = "UNAVAILABLE";
}
