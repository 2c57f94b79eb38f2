namespace AiFactory.Inference.Runtime;

/// <summary>A model input or output as the protocol describes it: <c>-1</c> marks a variable dimension.</summary>
public sealed record TensorSpec(string Name, string Datatype, long[] Shape);
