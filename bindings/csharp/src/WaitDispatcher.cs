// The asynchronous waits of a WorkflowClient (WaitAsync, WhenAnyAsync, WhenAllAsync): one thread
// for all of them, as the Python binding's AsyncClient (bindings/python/src/olconnect_wf/_dispatch.py).
//
// Each awaited wait adds a Waiter (a TaskCompletionSource, and the IProgress it reports to) under
// its operation's id. The dispatcher's thread, started by the first waiter and ending once none
// is left for IdleMs, waits for every id awaited through the rounds of WaitRounds (one
// wf_wait_all holding them, wf_wait_any calls collecting each end) and completes each waiter's
// task when its operation ends. A waiter that joins or leaves (its token, its timeout) stops the
// blocking call at its next tick (100 ms), so that the next one waits for the new set. So
// hundreds of awaited waits cost one thread, and no thread of the pool is held by a wait.
//
// Progress: while some waiter asked for it, one getOperations a second (at most, for all of
// them) gives the percentages of the listed operations.
//
// Disposing of the client closes the dispatcher: the blocking call stops at its next tick and
// the waiters left get ObjectDisposedException. No caller code (an IProgress, a continuation)
// runs while the dispatcher holds its lock; continuations run on the thread pool
// (RunContinuationsAsynchronously), never on the dispatcher's thread.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace OLConnect.Workflow
{
    /// <summary>One awaited operation: the task to complete, and where its progress goes.</summary>
    internal sealed class Waiter
    {
        private readonly TaskCompletionSource<bool> completion =
            new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly IProgress<int> progress;
        private readonly string paramName;
        /// <summary>The last percentage reported (dispatcher's thread only).</summary>
        private int reported = -1;

        internal Waiter(string opId, IProgress<int> progress, string paramName)
        {
            OpId = opId;
            this.progress = progress;
            this.paramName = paramName;
        }

        internal string OpId { get; private set; }

        internal Task Task { get { return completion.Task; } }

        internal bool WantsProgress { get { return progress != null; } }

        /// <summary>Reports a new percentage; false when the IProgress threw (the task then
        /// carries its exception).</summary>
        internal bool Report(int percent)
        {
            if (progress == null || completion.Task.IsCompleted || percent == reported) return true;
            reported = percent;
            try
            {
                progress.Report(percent);
                return true;
            }
            catch (Exception e)
            {
                completion.TrySetException(e);
                return false;
            }
        }

        /// <summary>The operation ended: finished (null) or failed.</summary>
        internal void Finish(WaitOutcome outcome)
        {
            if (outcome == null)
            {
                if (Report(100)) completion.TrySetResult(true);
            }
            else
            {
                completion.TrySetException(outcome.ToException(paramName));
            }
        }

        internal void Fail(Exception e) { completion.TrySetException(e); }

        internal bool Cancel(CancellationToken token) { return completion.TrySetCanceled(token); }
    }

    internal sealed class WaitDispatcher : IWaitSource
    {
        /// <summary>Milliseconds without waiters after which the thread ends.</summary>
        private const int IdleMs = 500;
        /// <summary>Milliseconds between two operation lists fetched for progress.</summary>
        private const int ProgressEveryMs = 1000;
        /// <summary>A round begins once no waiter joined for SettleMs (at most PaceMs later), so that
        /// waits started together join one round rather than one each.</summary>
        private const int SettleMs = 10;

        private readonly ClientHandle client;
        private readonly object gate = new object();
        private readonly Dictionary<string, List<Waiter>> waiters = new Dictionary<string, List<Waiter>>(StringComparer.Ordinal);
        private int version;
        private Thread thread;
        private bool closed;
        private long progressAt = long.MinValue / 2;

        internal WaitDispatcher(ClientHandle client)
        {
            this.client = client;
            LastBlock = long.MinValue / 2;
        }

        public long LastBlock { get; set; }

        // -- the callers' side (any thread) ----------------------------------------------------------

        /// <summary>Adds waiters (their ids checked already as strings without NUL); starts the
        /// thread if needed. Throws ObjectDisposedException once closed.</summary>
        internal void Add(IList<Waiter> entries)
        {
            lock (gate)
            {
                if (closed) throw new ObjectDisposedException("WorkflowClient");
                foreach (var waiter in entries)
                {
                    List<Waiter> list;
                    if (!waiters.TryGetValue(waiter.OpId, out list)) waiters[waiter.OpId] = list = new List<Waiter>();
                    list.Add(waiter);
                }
                version++;
                Monitor.PulseAll(gate);
                if (thread == null)
                {
                    thread = new Thread(Run) { IsBackground = true, Name = "olconnect-wf waits" };
                    thread.Start();
                }
            }
        }

        /// <summary>Removes a waiter (its wait was cancelled or timed out); idempotent.</summary>
        internal void Remove(Waiter waiter)
        {
            lock (gate)
            {
                List<Waiter> list;
                if (!waiters.TryGetValue(waiter.OpId, out list) || !list.Remove(waiter)) return;
                if (list.Count == 0) waiters.Remove(waiter.OpId);
                version++;
                Monitor.PulseAll(gate);
            }
        }

        /// <summary>Ends the waits in progress with ObjectDisposedException (within about 100 ms)
        /// and the thread with them.</summary>
        internal void Close()
        {
            lock (gate)
            {
                closed = true;
                Monitor.PulseAll(gate);
            }
        }

        /// <summary>Whether the thread runs (for tests).</summary>
        internal bool Running
        {
            get { lock (gate) return thread != null; }
        }

        // -- the thread ----------------------------------------------------------------------------

        private void Run()
        {
            Exception failure = null;
            LogSink.EnterQuiet();
            try
            {
                while (true)
                {
                    lock (gate)
                    {
                        long idleUntil = WaitRounds.Now + IdleMs;
                        while (!closed && waiters.Count == 0)
                        {
                            long left = idleUntil - WaitRounds.Now;
                            if (left <= 0) break;
                            Monitor.Wait(gate, (int)left);
                        }
                        if (closed) break;
                        if (waiters.Count == 0)
                        {
                            thread = null; // under the lock, so that a waiter added next starts a new one
                            return;
                        }
                        long settled = WaitRounds.Now + WaitRounds.PaceMs;
                        while (WaitRounds.Now < settled && !closed)
                        {
                            int seen = version;
                            Monitor.Wait(gate, SettleMs);
                            if (version == seen) break;
                        }
                    }
                    WaitRounds.Run(client, this);
                }
            }
            catch (Exception e) // ObjectDisposedException from the handle, a failure of the waits
            {
                failure = e;
            }
            finally
            {
                LogSink.LeaveQuiet();
                List<Waiter> left = new List<Waiter>();
                bool wasClosed;
                lock (gate)
                {
                    if (thread == Thread.CurrentThread) thread = null;
                    wasClosed = closed;
                    if (failure != null || closed)
                    {
                        foreach (var list in waiters.Values) left.AddRange(list);
                        waiters.Clear();
                        version++;
                    }
                }
                foreach (var waiter in left) waiter.Fail(wasClosed ? Disposed(waiter.OpId) : Copy(failure, waiter.OpId));
            }
        }

        private static Exception Disposed(string opId)
        {
            return new ObjectDisposedException("WorkflowClient", string.Format(CultureInfo.InvariantCulture,
                "the WorkflowClient was disposed while waiting for operation '{0}' (the operation goes on on the server)", opId));
        }

        /// <summary>What a waiter gets when the waits fail as a whole: its own copy of the failure.</summary>
        private static Exception Copy(Exception failure, string opId)
        {
            var known = failure as IWorkflowError;
            if (known != null && !(failure is InvalidArgumentException))
                return WorkflowException.Create((int)known.Status, known.HttpStatus, failure.Message, null);
            return new InternalErrorException(string.Format(CultureInfo.InvariantCulture,
                "waiting for operation '{0}' failed: {1}", opId, failure.Message), failure);
        }

        // -- the rounds' source (the thread) ---------------------------------------------------------

        public List<string> Pending()
        {
            lock (gate) return closed ? new List<string>() : waiters.Keys.ToList();
        }

        public int Version()
        {
            lock (gate) return version;
        }

        public bool Changed(int seen)
        {
            lock (gate) return version != seen || closed;
        }

        public void Ended(string opId, WaitOutcome outcome)
        {
            List<Waiter> ended;
            lock (gate)
            {
                if (!waiters.TryGetValue(opId, out ended)) return;
                waiters.Remove(opId);
                version++;
            }
            foreach (var waiter in ended) waiter.Finish(outcome);
        }

        public void Invalid(List<string> ids, WaitOutcome refused)
        {
            // The waits check their ids as .NET can (null, NUL); the library refuses more (e.g. '/'):
            // find which, one wait each, and end their waiters with it.
            foreach (var id in ids)
            {
                WaitOutcome own;
                int index = WaitRounds.WaitAny(client, new List<string> { id }, 1, null, out own);
                if (index == 0 || (own != null && own.Status == (int)WorkflowStatus.InvalidArgument)) Ended(id, own);
            }
        }

        public void Pause(int ms)
        {
            lock (gate)
            {
                if (!closed) Monitor.Wait(gate, ms);
            }
        }

        /// <summary>Progress, when some waiter asked for it and a second has passed.</summary>
        public void Tick()
        {
            long now = WaitRounds.Now;
            if (now - progressAt < ProgressEveryMs) return;
            Dictionary<string, List<Waiter>> wanted;
            lock (gate)
            {
                wanted = waiters
                    .Select(kv => new KeyValuePair<string, List<Waiter>>(kv.Key, kv.Value.Where(w => w.WantsProgress).ToList()))
                    .Where(kv => kv.Value.Count > 0)
                    .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            }
            if (wanted.Count == 0) return;
            progressAt = now;
            IReadOnlyList<OperationInfo> listed;
            try
            {
                listed = ServerJson.Operations(Native.Text((byte[] b, ref UIntPtr n) => NativeMethods.wf_get_operations(client, b, ref n)));
            }
            catch (Exception) // progress is a nicety: the waits go on
            {
                return;
            }
            foreach (var op in listed)
            {
                List<Waiter> list;
                if (op.Id == null || !wanted.TryGetValue(op.Id, out list)) continue;
                foreach (var waiter in list)
                    if (!waiter.Report(Math.Max(0, Math.Min(100, op.Progress)))) Remove(waiter);
            }
        }
    }
}
