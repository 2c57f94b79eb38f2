using System.Text;

namespace AiFactory.Evaluation.Text;

/// <summary>
/// Strings to render, drawn from an alphabet by a seeded generator, uniformly within each kind of token so rare
/// characters are measured as often as common ones:
/// <list type="bullet">
/// <item>Chinese: one run of 4 to 12 characters;</item>
/// <item>Latin: two to four tokens, single spaces between them, each a lower-case word, a capitalised word, an
/// upper-case word or a number (digits, now and then a punctuation mark inside: 12:45, 2024-08). Tokens keep one case
/// or digits throughout, as words and numbers in text do; that is the context a reader, and the recognizer, tells
/// l from I from 1 and O from 0 by, which a random mixture would not have (those glyphs are the same shape in a
/// sans-serif face).</item>
/// </list>
/// </summary>
public static class TextLineGenerator
{
    public static string Next(Random random, OcrAlphabet alphabet) =>
        alphabet.Font.Script == OcrScript.Chinese ? Chinese(random, alphabet) : Latin(random, alphabet);

    private static string Chinese(Random random, OcrAlphabet alphabet)
    {
        var text = new StringBuilder();
        for (var length = random.Next(4, 13); length > 0; length--)
        {
            text.Append(alphabet.Characters[random.Next(alphabet.Characters.Count)]);
        }

        return text.ToString();
    }

    private static string Latin(Random random, OcrAlphabet alphabet)
    {
        string[] Where(Func<char, bool> kind) => [.. alphabet.Characters.Where(character => kind(character[0]))];
        var lower = Where(char.IsAsciiLetterLower);
        var upper = Where(char.IsAsciiLetterUpper);
        var digits = Where(char.IsAsciiDigit);
        var punctuation = Where(character => !char.IsAsciiLetterOrDigit(character));

        string Token(string[] first, string[] rest, int length)
        {
            var token = new StringBuilder(first[random.Next(first.Length)]);
            for (var i = 1; i < length; i++)
            {
                token.Append(rest[random.Next(rest.Length)]);
            }

            return token.ToString();
        }

        var tokens = new List<string>();
        for (var count = random.Next(2, 5); count > 0; count--)
        {
            tokens.Add(random.Next(4) switch
            {
                0 => Token(lower, lower, random.Next(2, 9)),
                1 => Token(upper, lower, random.Next(2, 9)),
                2 => Token(upper, upper, random.Next(2, 6)),
                _ => Number(random, digits, punctuation),
            });
        }

        return string.Join(' ', tokens);
    }

    private static string Number(Random random, string[] digits, string[] punctuation)
    {
        var number = new StringBuilder();
        for (var length = random.Next(2, 7); length > 0; length--)
        {
            number.Append(digits[random.Next(digits.Length)]);
        }

        if (punctuation.Length > 0 && number.Length > 2 && random.Next(3) == 0)
        {
            number.Insert(random.Next(1, number.Length), punctuation[random.Next(punctuation.Length)]);
        }

        return number.ToString();
    }
}
