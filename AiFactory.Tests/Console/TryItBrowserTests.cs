extern alias console;

using System.Text.RegularExpressions;
using AiFactory.Evaluation.Ocr;
using AiFactory.Evaluation.Running;
using AiFactory.Tests.Evaluation;
using AiFactory.Tests.Infrastructure;
using AiFactory.Tests.Registry;
using Aspire.Hosting.Testing;
using console::AiFactory.Dashboard.TryIt;
using Microsoft.ML.OnnxRuntime;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>
/// Try it in a real browser against the real application: the OCR sample models on an uploaded image (regions, orientation,
/// text, each the same as the model run in-process with the same pre- and postprocessing), the tensor editor for any
/// other model, and the scope an operator's key needs.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class TryItBrowserTests(AppHostFixture fixture, ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly Lazy<OcrEvaluationSet> Set = new(() =>
        OcrEvaluationSet.Generate(new OcrSetOptions { Lines = 1, Pages = 1 }, OcrEvaluationSetTests.Dictionary));

    private Uri Console => fixture.App.GetEndpoint("dashboard", "http");

    [Fact]
    public async Task Try_it_with_an_image_shows_the_detectors_regions_the_orientation_and_the_text_with_the_timing()
    {
        using (var admin = fixture.CreateGatewayClient())
        {
            // The seeder validates the samples before the console may try them; the recognizer is the slowest.
            foreach (var sample in new[] { SampleModels.TextDetection, SampleModels.TextDirection, SampleModels.TextRecognition })
            {
                await RegistrySeedTests.WaitForSeedAsync(admin, sample);
            }
        }

        var (context, page) = await SignedInAsync("operator-try", ["admin", "infer"]);
        await using var _ = context;
        var pageImage = Set.Value.Pages[0].Image;
        var line = Set.Value.Lines[0].Image;

        await SelectModelAsync(page, SampleModels.TextDetection);
        await page.SetInputFilesAsync("#try-image", Png("page.png", pageImage.ToPng()));
        var expectedRegions = Run(SampleModels.TextDetection, OcrTask.Detection, pageImage).Regions.Count;
        Assert.True(expectedRegions > 0, "the generated page has text the detector finds in-process");
        await Expect(page.Locator("[data-testid=try-regions]")).ToHaveTextAsync($"{expectedRegions} text region(s) detected.");
        await Expect(page.Locator("[data-testid=ocr-region]")).ToHaveCountAsync(expectedRegions);
        await Expect(page.Locator("[data-testid=try-timing]")).ToContainTextAsync(new Regex(@"^Answered in \d+(\.\d)? ms"));

        await SelectModelAsync(page, SampleModels.TextDirection);
        await page.SetInputFilesAsync("#try-image", Png("line.png", line.Rotate180().ToPng()));
        var orientation = Run(SampleModels.TextDirection, OcrTask.Direction, line.Rotate180()).Orientation!;
        await Expect(page.Locator("[data-testid=try-orientation]")).ToContainTextAsync(orientation.Split(',')[0]);

        await SelectModelAsync(page, SampleModels.TextRecognition);
        await page.SetInputFilesAsync("#try-image", Png("line.png", line.ToPng()));
        var text = Run(SampleModels.TextRecognition, OcrTask.Recognition, line).Text!;
        Assert.NotEmpty(text);
        await Expect(page.Locator("[data-testid=try-text]")).ToHaveTextAsync($"Text: {text}", new() { Timeout = 60_000 });
        await ConsoleBrowser.AssertAccessibleAsync(page, "try-it with an answer");
        await ConsoleBrowser.ScreenshotAsync(page, "try-it-recognition", 1280);
    }

    [Fact]
    public async Task The_tensor_editor_is_prefilled_from_the_models_metadata_and_shows_the_answer_as_a_table()
    {
        var (context, page) = await SignedInAsync("operator-tensor", ["admin", "infer"]);
        await using var _ = context;

        // Every model gets the editor (the OCR models as well as their image panel); text-direction is one the replicas serve.
        await SelectModelAsync(page, SampleModels.TextDirection);
        var request = page.GetByLabel("Inference request (JSON, Open Inference Protocol)");
        // Its declared shape [-1, 3, 48, 192], the batch at 1, all zeros: a request the model takes as it stands.
        await Expect(request).ToHaveValueAsync(new Regex("""^\{"inputs":\[\n    \{"name":"x","datatype":"FP32","shape":\[1,3,48,192\],"data":\[(0,){27647}0\]\}\n\]\}$"""));
        var line = string.Join(",", Enumerable.Range(0, 3 * 48 * 192).Select(i => (i % 7) / 7.0));
        await request.FillAsync($$"""{"inputs":[{"name":"x","datatype":"FP32","shape":[1,3,48,192],"data":[{{line}}]}]}""");
        await page.ClickAsync("[data-testid=try-send]");

        var row = page.Locator("[data-testid=try-outputs] tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        var cells = (await row.Locator("td").AllTextContentsAsync()).Select(cell => cell.Trim()).ToArray();
        Assert.Equal(["softmax_0.tmp_0", "FP32", "[1, 2]"], cells[..3]);
        var scores = cells[3].Split(", ").Select(value => double.Parse(value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(2, scores.Length);
        Assert.Equal(1.0, scores.Sum(), 3); // a softmax
        await Expect(page.Locator("[data-testid=try-timing]")).ToContainTextAsync("Answered in");

        // A request the model refuses: the gateway's message, on the page.
        await request.FillAsync("""{"inputs":[{"name":"nope","datatype":"FP32","shape":[1],"data":[1]}]}""");
        await page.ClickAsync("[data-testid=try-send]");
        await Expect(page.Locator("[data-testid=api-error]")).ToContainTextAsync("The gateway answered 400");
    }

    [Fact]
    public async Task An_operator_whose_key_lacks_the_infer_scope_is_told_which_scope_try_it_needs_and_the_gateway_refuses_it()
    {
        var (context, page) = await SignedInAsync("operator-admin-only", ["admin"]);
        await using var _ = context;

        await Expect(page.Locator("[data-testid=try-scope]")).ToContainTextAsync("it needs the infer scope");
        await SelectModelAsync(page, SampleModels.TextDirection);
        // Even the model's metadata needs read or infer: the gateway's refusal, with its status, is on the page.
        await Expect(page.Locator("[data-testid=api-error]")).ToContainTextAsync("The gateway answered 403");
    }

    private async Task<(IBrowserContext Context, IPage Page)> SignedInAsync(string name, string[] scopes)
    {
        using var admin = fixture.CreateGatewayClient();
        var (_, key) = await admin.CreateKeyAsync(name, scopes);
        var context = await browser.NewContextAsync(Console);
        var page = await context.NewPageAsync();
        await ConsoleBrowser.SignInAsync(page, key, "/try");
        return (context, page);
    }

    private static async Task SelectModelAsync(IPage page, string model)
    {
        await page.ClickAsync("[data-testid=try-model]");
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasTextRegex = new Regex($"^{Regex.Escape(model)}$") }).ClickAsync();
        await Expect(page.Locator("[data-testid=try-selected]")).ToHaveTextAsync(new Regex($"^Trying {Regex.Escape(model)} v\\d+$"));
        await Expect(page.Locator(".mud-progress-linear")).ToHaveCountAsync(0);
    }

    private static FilePayload Png(string name, byte[] png) => new() { Name = name, MimeType = "image/png", Buffer = png };

    /// <summary>What the page should show: the served model's file run in-process, with the console's own pre- and postprocessing.</summary>
    private static OcrAnswer Run(string model, OcrTask task, AiFactory.Evaluation.Images.BgrImage image)
    {
        using var session = new InferenceSession(RepositoryPaths.Model(model));
        return OcrTryIt.Interpret(task, OnnxModelRun.For(session)(OcrTryIt.Input(task, image)), image, OcrEvaluationSetTests.Dictionary);
    }
}
