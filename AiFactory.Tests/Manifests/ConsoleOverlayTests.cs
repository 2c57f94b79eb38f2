using AiFactory.Tests.Infrastructure;

namespace AiFactory.Tests.Manifests;

/// <summary>What the console needs in a cluster beyond Aspirate's base, on what <c>kubectl kustomize</c> renders.</summary>
public sealed class ConsoleOverlayTests
{
    [Theory]
    [MemberData(nameof(OverlayTests.ClusterOverlays), MemberType = typeof(OverlayTests))]
    public async Task Try_it_reads_the_recognizers_dictionary_from_an_optional_config_map_mounted_read_only(string overlay)
    {
        var dashboard = (await ManifestTools.RenderAsync(overlay)).Single("Deployment", "dashboard");
        var container = Rendered.Containers(dashboard, includeInit: false).Single();

        var path = (string?)container["env"]!.AsArray().Single(variable => (string?)variable!["name"] == "TryIt__RecognitionDictionary")!["value"];
        var mount = Assert.Single(container["volumeMounts"]!.AsArray(), m => path!.StartsWith((string)m!["mountPath"]! + "/", StringComparison.Ordinal))!;
        Assert.Equal(true, (bool?)mount["readOnly"]);
        var volume = Assert.Single(Rendered.PodSpec(dashboard)["volumes"]!.AsArray(), v => (string?)v!["name"] == (string?)mount["name"])!;
        // Optional: without it the pod starts and the page says the dictionary is missing.
        Assert.Equal(("ocr-dictionary", true), ((string?)volume["configMap"]!["name"], (bool?)volume["configMap"]!["optional"]));
        Assert.Equal("/etc/aifactory/ocr/ppocr_keys_v1.txt", path);
    }
}
