// The main job in C#, end to end and without blocking a thread: log in, upload a local data file
// to the File Store, submit an All-In-One configuration that uses it, wait with progress, download
// the result to a file with a byte count, delete the upload, and say what arrived. Ctrl-C stops
// whichever call is running within a fraction of a second and leaves no partial file; the job is
// then cancelled on the server and the upload deleted.
//
//   mono csharp_job.exe BASE_URL [OUTPUT_FILE] [--data DATA_FILE]
//
// Credentials come from OLCONNECT_USER / OLCONNECT_PASSWORD (default ol-admin / secret, the
// simulator's); the resources are those of olconnect-sim's demo File Store. Built and run against
// the simulator by `make test-csharp`.
using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using OLConnect.Workflow;

static class CsharpJob
{
    const string DemoConfig =
        "{\"datamining\":{\"identifier\":\"{0}\",\"config\":\"Invoice.OL-datamapper\"},"
        + "\"contentcreation\":{\"config\":\"Invoice.OL-template\"},"
        + "\"jobcreation\":{\"config\":\"Invoice.OL-jobpreset\"},"
        + "\"outputcreation\":{\"config\":\"Invoice-PDF.OL-outputpreset\"},"
        + "\"returnIdInHeader\":true}";

    /// <summary>Prints on the thread that reports (System.Progress would post to the pool, out of order).</summary>
    sealed class Printer<T> : IProgress<T>
    {
        readonly Func<T, string> format;
        public Printer(Func<T, string> format) { this.format = format; }
        public void Report(T value) { Console.Error.Write("\r" + format(value) + "   "); }
    }

    static int Main(string[] args)
    {
        string url = null, output = "result.pdf", dataFile = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length) dataFile = args[++i];
            else if (url == null) url = args[i];
            else output = args[i];
        }
        if (url == null)
        {
            Console.Error.WriteLine("usage: csharp_job.exe BASE_URL [OUTPUT_FILE] [--data DATA_FILE]");
            return 2;
        }
        var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (sender, e) => { e.Cancel = true; stop.Cancel(); };
        try
        {
            return RunAsync(url, output, dataFile, stop.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("\ninterrupted: nothing partial was left behind");
            return 130;
        }
        catch (Exception e) when (e is IWorkflowError)
        {
            var error = (IWorkflowError)e;
            Console.Error.WriteLine("\nfailed ({0}, HTTP {1}): {2}", error.Status, error.HttpStatus, e.Message);
            return 1;
        }
    }

    static async Task<int> RunAsync(string url, string output, string dataFile, CancellationToken cancel)
    {
        string user = Environment.GetEnvironmentVariable("OLCONNECT_USER") ?? "ol-admin";
        string password = Environment.GetEnvironmentVariable("OLCONNECT_PASSWORD") ?? "secret";
        Console.WriteLine("olconnect-wf {0}, server {1}", WorkflowClient.LibraryVersion, url);
        using (var client = new WorkflowClient(new WorkflowClientOptions { BaseUrl = url, ReadTimeout = TimeSpan.FromMinutes(1) }))
        {
            await client.LoginAsync(user, password, cancel);
            string dataId = "invoices.csv"; // the demo File Store's own data file
            if (dataFile != null)
            {
                dataId = await client.UploadAsync(dataFile, ResourceKind.DataFile, Path.GetFileName(dataFile), false, null, cancel);
                Console.WriteLine("  uploaded {0} as {1}", dataFile, dataId);
            }
            string op = null;
            try
            {
                op = await client.SubmitAsync(DemoConfig.Replace("{0}", dataId), cancel);
                Console.WriteLine("  operation {0}", op);
                await client.WaitAsync(op, TimeSpan.FromMinutes(10), new Printer<int>(p => "  " + p + "%"), cancel);
                Console.Error.WriteLine();
                WorkflowResult info = await client.GetResultToFileAsync(op, output,
                    new Printer<TransferProgress>(t => "  " + t.Received + " / " + (t.Total.HasValue ? t.Total.ToString() : "?") + " bytes"), cancel);
                Console.Error.WriteLine();
                op = null; // ended: nothing to cancel
                Console.WriteLine("  {0}, job set {1}: {2} bytes written to {3}", info.Type, info.JobSetId, new FileInfo(output).Length, output);
                return 0;
            }
            finally
            {
                // Without the caller's token, bounded: a job still running holds its data file
                // (the server refuses to delete a file in use), so it is cancelled first.
                using (var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
                {
                    if (op != null)
                    {
                        try { await client.CancelAsync(op, cleanup.Token); }
                        catch (Exception e) when (e is IWorkflowError || e is OperationCanceledException) { }
                    }
                    if (dataFile != null)
                    {
                        bool deleted = await client.DeleteAsync(dataId, cleanup.Token);
                        Console.WriteLine("  upload {0} {1}", dataId, deleted ? "deleted" : "not deleted (the server still uses it)");
                    }
                }
            }
        }
    }
}
