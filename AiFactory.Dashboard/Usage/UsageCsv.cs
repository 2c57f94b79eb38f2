using System.Globalization;
using System.Text;
using AiFactory.Dashboard.Gateway;

namespace AiFactory.Dashboard.Usage;

/// <summary>Usage rows as CSV (RFC 4180), for a spreadsheet or a bill.</summary>
public static class UsageCsv
{
    public static string Write(IEnumerable<UsageRow> rows)
    {
        var csv = new StringBuilder("key_id,model,version,status,requests\r\n");
        foreach (var row in rows)
        {
            csv.Append(Field(row.KeyId)).Append(',').Append(Field(row.Model)).Append(',').Append(Field(row.Version)).Append(',')
                .Append(row.Status.ToString(CultureInfo.InvariantCulture)).Append(',').Append(row.Requests.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }

        return csv.ToString();
    }

    // Quoted when it must be; a leading =, +, - or @ is defused, since spreadsheets run such a cell as a formula.
    private static string Field(string value)
    {
        if (value.Length > 0 && "=+-@".Contains(value[0]))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"")}\"" : value;
    }
}
