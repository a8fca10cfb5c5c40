// The asynchronous waits (issue 31): WaitAsync, WhenAnyAsync and WhenAllAsync hold no thread;
// one dispatcher thread per client waits for them all through the library's watcher.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using OLConnect.Workflow;

static partial class Tests
{
    static string Lasting(int ms) { return Config(parameters: "\"sim_duration_ms\":" + ms); }

    static int Count(string text, string what)
    {
        int n = 0;
        for (int i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>200 awaited waits on a thread pool of two threads: a plain asynchronous call made
    /// meanwhile returns at once (a wait that held a pool thread would queue it behind them all),
    /// every wait completes, and the server is asked about each ended operation about once.</summary>
    [Test]
    static void TwoHundredWaitsHoldNoThread()
    {
        int maxWorkers, maxIo, minWorkers, minIo;
        ThreadPool.GetMaxThreads(out maxWorkers, out maxIo);
        ThreadPool.GetMinThreads(out minWorkers, out minIo);
        int small = Math.Max(2, Environment.ProcessorCount);
        using (var c = Client())
        {
            var ops = Enumerable.Range(0, 200).Select(i => c.Submit(Lasting(2000))).ToList();
            // Before the pool shrinks: Mono's HttpWebRequest (this helper) needs pool threads.
            Control("DELETE", "/sim/requests");
            long plainMs, doneMs;
            try
            {
                ThreadPool.SetMinThreads(small, small);
                Assert(ThreadPool.SetMaxThreads(small, small), "a thread pool of " + small + " threads");
                var watch = Stopwatch.StartNew();
                var waits = ops.Select(op => c.WaitAsync(op, TimeSpan.FromSeconds(60))).ToList();
                Thread.Sleep(100);
                var plain = c.GetServerVersionAsync();
                Assert(plain.Wait(1500), "a plain call among 200 waits returned within 1.5 s");
                plainMs = watch.ElapsedMilliseconds;
                Assert(waits.Count(w => w.IsCompleted) < 200, "the waits were still pending when it returned");
                Assert(Task.WaitAll(waits.Cast<Task>().ToArray(), 60000), "all 200 waits completed");
                doneMs = watch.ElapsedMilliseconds;
                Assert(waits.All(w => w.Status == TaskStatus.RanToCompletion), "all finished: "
                    + string.Join(", ", waits.Where(w => w.IsFaulted).Take(3).Select(w => w.Exception.InnerException.Message)));
            }
            finally
            {
                ThreadPool.SetMaxThreads(maxWorkers, maxIo);
                ThreadPool.SetMinThreads(minWorkers, minIo);
            }
            var log = Control("GET", "/sim/requests");
            int progress = Count(log, "/getProgress/"), lists = Count(log, "/getOperations");
            Console.WriteLine("     200 waits: plain call after " + plainMs + " ms, all done after " + doneMs + " ms; "
                + progress + " getProgress, " + lists + " getOperations");
            Assert(progress <= 2 * ops.Count, "the watcher asks each ended operation about once: " + progress + " getProgress");
        }
    }

    [Test]
    static void WhenAnyReturnsTheFirstToEnd()
    {
        using (var c = Client())
        {
            var slow = c.Submit(Lasting(5000));
            var fast = c.Submit(Lasting(400));
            var slower = c.Submit(Lasting(6000));
            var watch = Stopwatch.StartNew();
            Assert(c.WhenAnyAsync(new[] { slow, fast, slower, fast }, TimeSpan.FromSeconds(30)).Result == fast, "the first to end");
            Assert(watch.ElapsedMilliseconds < 3000, "as it ended: " + watch.ElapsedMilliseconds + " ms");

            // Timeout: a TimeoutException that says so.
            var e = Inner(() => c.WhenAnyAsync(new[] { slow, slower }, TimeSpan.FromMilliseconds(300)).Wait());
            Assert(e is TimeoutException && e is WorkflowTimeoutException && e.Message.Contains("none of the 2 operations"), "timeout: " + e);

            // The first to end failed: its error.
            e = Inner(() => c.WhenAnyAsync(new[] { slow, "never-submitted" }).Wait());
            Assert(e is NotFoundException && e.Message.Contains("never-submitted"), "the failure of the first: " + e);

            Assert(Inner(() => c.WhenAnyAsync(new string[0]).Wait()) is InvalidArgumentException, "no id");
            c.Cancel(slow);
            c.Cancel(slower);
        }
    }

    [Test]
    static void WhenAllWaitsForEveryOne()
    {
        using (var c = Client())
        {
            var ops = new[] { c.Submit(Lasting(300)), c.Submit(Lasting(900)), c.Submit(Lasting(600)) };
            var watch = Stopwatch.StartNew();
            c.WhenAllAsync(ops, TimeSpan.FromSeconds(30)).Wait();
            Assert(watch.ElapsedMilliseconds >= 700, "after the last one: " + watch.ElapsedMilliseconds + " ms");
            Assert(ops.All(op => c.GetProgress(op).Done), "all done");

            // A failure in the middle is thrown once all have ended; the first failure in order.
            var last = c.Submit(Lasting(800));
            watch.Restart();
            var e = Inner(() => c.WhenAllAsync(new[] { ops[0], "never-submitted", last, "gone-too" }).Wait());
            Assert(e is NotFoundException && e.Message.Contains("never-submitted"), "the failure: " + e);
            Assert(watch.ElapsedMilliseconds >= 500, "once all had ended: " + watch.ElapsedMilliseconds + " ms");

            var running = c.Submit(Lasting(60000));
            e = Inner(() => c.WhenAllAsync(new[] { ops[1], running }, TimeSpan.FromMilliseconds(300)).Wait());
            Assert(e is WorkflowTimeoutException && e.Message.Contains("1 of the 2 operations"), "timeout: " + e);
            c.WhenAllAsync(new string[0]).Wait();
            c.Cancel(running);
        }
    }

    /// <summary>Cancelling one wait's token ends that wait alone: the others, on the same operation
    /// and on others, complete.</summary>
    [Test]
    static void CancellingOneWaitLeavesTheOthers()
    {
        using (var c = Client())
        {
            var a = c.Submit(Lasting(1200));
            var b = c.Submit(Lasting(1200));
            var cts = new CancellationTokenSource();
            var cancelled = c.WaitAsync(a, null, null, cts.Token);
            var sameOp = c.WaitAsync(a);
            var other = c.WaitAsync(b);
            var any = c.WhenAnyAsync(new[] { a, b });
            Thread.Sleep(200);
            var watch = Stopwatch.StartNew();
            cts.Cancel();
            Assert(Inner(() => cancelled.Wait()) is OperationCanceledException && cancelled.IsCanceled, "that wait is cancelled");
            Assert(watch.ElapsedMilliseconds < 500, "at once: " + watch.ElapsedMilliseconds + " ms");
            Assert(!sameOp.IsCompleted && !other.IsCompleted && !any.IsCompleted, "the others go on");
            Assert(Task.WaitAll(new Task[] { sameOp, other, any }, 30000), "and complete");
            Assert(sameOp.Status == TaskStatus.RanToCompletion && other.Status == TaskStatus.RanToCompletion, "finished");
            Assert(any.Result == a || any.Result == b, "any");
            Assert(Inner(() => c.WaitAsync(a, null, null, cts.Token).Wait()) is OperationCanceledException, "an already cancelled token");
        }
    }

    [Test]
    static void AwaitedWaitsReportProgressAndFailures()
    {
        using (var c = Client())
        {
            var op = c.Submit(Lasting(2500));
            var seen = new Recorder<int>();
            c.WaitAsync(op, TimeSpan.FromSeconds(30), seen).Wait();
            Assert(seen.Seen.Count >= 2 && seen.Seen.Last() == 100, "percentages: " + string.Join(",", seen.Seen));
            Assert(seen.Seen.SequenceEqual(seen.Seen.Distinct()), "each once");

            var exploding = new SyncProgress { OnReport = p => { throw new InvalidOperationException("from the progress"); } };
            Assert(Inner(() => c.WaitAsync(c.Submit(Lasting(200)), null, exploding).Wait()) is InvalidOperationException, "the IProgress's exception");

            var running = c.Submit(Lasting(60000));
            var e = Inner(() => c.WaitAsync(running, TimeSpan.FromMilliseconds(300)).Wait());
            Assert(e is TimeoutException && e.Message.Contains(running) && e.Message.Contains("goes on"), "timeout: " + e.Message);
            var cancelledOnServer = c.WaitAsync(running);
            Thread.Sleep(200);
            c.Cancel(running);
            Assert(Inner(() => cancelledOnServer.Wait()) is AbortedException, "Cancel stops the wait");
            Assert(Inner(() => c.WaitAsync("never-submitted").Wait()) is NotFoundException, "unknown operation");
            var bad = Inner(() => c.WaitAsync("a/b").Wait()) as ArgumentException;
            Assert(bad is InvalidArgumentException && bad.ParamName == "opId", "an id the library refuses: " + bad);
            Assert(Inner(() => c.WhenAllAsync(new[] { "a/b" }).Wait()) is InvalidArgumentException, "among many");
        }
    }

    /// <summary>Dispose ends the waits in progress at once, with ObjectDisposedException.</summary>
    [Test]
    static void DisposeEndsPendingWaits()
    {
        var c = Client();
        var op = c.Submit(Lasting(60000));
        var wait = c.WaitAsync(op);
        var all = c.WhenAllAsync(new[] { op });
        Thread.Sleep(300);
        var watch = Stopwatch.StartNew();
        c.Dispose();
        Assert(Inner(() => wait.Wait()) is ObjectDisposedException && Inner(() => all.Wait()) is ObjectDisposedException, "disposed");
        Assert(watch.ElapsedMilliseconds < 1000, "at once: " + watch.ElapsedMilliseconds + " ms");
        Assert(Inner(() => c.WaitAsync(op).Wait()) is ObjectDisposedException, "after Dispose");
        using (var d = Client()) d.Cancel(op);
    }

    /// <summary>The exception inside a task's AggregateException (or thrown directly).</summary>
    static Exception Inner(Action action)
    {
        try { action(); }
        catch (AggregateException e) { return e.InnerException; }
        catch (Exception e) { return e; }
        throw new Exception("nothing was thrown");
    }
}
