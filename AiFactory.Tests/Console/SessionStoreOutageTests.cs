using System.Net;
using AiFactory.Tests.Infrastructure;
using Aspire.Hosting.Testing;

namespace AiFactory.Tests.OperatorConsole;

/// <summary>
/// The console keeps its sessions in Redis: with Redis stopped, signing in and every signed-in request answer 503
/// naming the session store, never a 500, and signing in works again once Redis is back.
/// </summary>
[Collection(AppHostCollection.Name)]
public sealed class SessionStoreOutageTests(AppHostFixture fixture)
{
    private const string Unavailable = "the session store is unavailable";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task With_redis_stopped_sign_in_and_a_signed_in_page_answer_503_naming_the_session_store_and_sign_in_works_once_it_is_back()
    {
        using var admin = fixture.CreateGatewayClient();
        var (id, key) = await admin.CreateKeyAsync("operator-session-outage", ["admin"]);
        using var signedIn = Browser();
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(signedIn, key)).Status);

        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await fixture.StopResourceAsync("cache", cancellation.Token);
        try
        {
            using var page = await signedIn.GetAsync("/keys").WaitAsync(Timeout);
            var pageBody = await page.Content.ReadAsStringAsync();
            using var newcomer = Browser();
            var (status, body) = await SignInAsync(newcomer, key);

            Assert.True(page.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)page.StatusCode} {pageBody}");
            Assert.Contains(Unavailable, pageBody);
            Assert.True(status == HttpStatusCode.ServiceUnavailable, $"{(int)status} {body}");
            Assert.Contains(Unavailable, body);
            Assert.DoesNotContain(key, body);
        }
        finally
        {
            await fixture.StartResourceAsync("cache", cancellation.Token);
        }

        // The console's Redis client reconnects on its own within seconds.
        var back = DateTime.UtcNow + Timeout;
        (HttpStatusCode Status, string Body) after;
        do
        {
            using var again = Browser();
            after = await SignInAsync(again, key);
        }
        while (after.Status != HttpStatusCode.Redirect && DateTime.UtcNow < back);

        Assert.True(after.Status == HttpStatusCode.Redirect, $"{(int)after.Status} {after.Body}");
        await admin.RevokeKeyAsync(id);
    }

    private HttpClient Browser() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = fixture.App.GetEndpoint("dashboard", "http") };

    /// <summary>The sign-in form posted as the browser posts it.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> SignInAsync(HttpClient console, string key)
    {
        var form = ConsoleForms.HiddenFields(await console.GetStringAsync("/signin").WaitAsync(Timeout));
        form["Form.Key"] = key;
        using var response = await console.PostAsync("/signin", new FormUrlEncodedContent(form)).WaitAsync(Timeout);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
