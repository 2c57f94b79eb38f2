namespace AiFactory.Optimization;

/// <summary>
/// A transform that does not apply to a model (no MatMul for <c>int8-dynamic</c>, no calibration data for
/// <c>int8-static</c>, a file that is not ONNX): the message is the reason, for the operator who asked.
/// </summary>
public sealed class TransformRefusedException(string reason) : Exception(reason);
