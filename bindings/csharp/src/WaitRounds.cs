// Waiting for many operations on one thread, through the client's watcher (docs/architecture.md,
// "Waiting"): the rounds of the dispatcher (WaitDispatcher.cs), the same as those of the Python
// binding (bindings/python/src/olconnect_wf/_watch.py).
//
// The library keeps what its watcher learnt of an operation only while a wait holds it: when
// wf_wait_any returns, the other operations that ended in the same look are forgotten, and
// waiting for them again costs a getProgress each. So a round holds every pending operation
// with one wf_wait_all (the outer call) and, from its transfer callback (which the library calls
// on this thread and which may call the library), collects each end with wf_wait_any calls (the
// inner calls) over the operations still pending. Every wait call makes the watcher look at
// once, so the inner calls that block are paced (at most one per PaceMs); those in between only
// collect what is known already (1 ms).
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace OLConnect.Workflow
{
    /// <summary>How an operation ended, or why a wait call ended: a status and the library's
    /// message, read on the thread of the call. Each wait that gets it makes its own exception.</summary>
    internal sealed class WaitOutcome
    {
        internal readonly int Status;
        internal readonly int HttpStatus;
        internal readonly string Message;

        private WaitOutcome(int status, int httpStatus, string message)
        {
            Status = status;
            HttpStatus = httpStatus;
            Message = message;
        }

        /// <summary>The outcome of the call that just returned <paramref name="status"/> on this
        /// thread; null for success.</summary>
        internal static WaitOutcome Last(int status)
        {
            if (status == 0) return null;
            return new WaitOutcome(status, NativeMethods.wf_last_http_status(), Native.FromUtf8(NativeMethods.wf_last_error_message()));
        }

        /// <summary>A new exception of this outcome; <paramref name="paramName"/> for an
        /// InvalidArgumentException.</summary>
        internal Exception ToException(string paramName)
        {
            return WorkflowException.Create(Status, HttpStatus, Message, paramName);
        }
    }

    /// <summary>What a round waits for, and where the ends go.</summary>
    internal interface IWaitSource
    {
        /// <summary>The operations waited for now (none once closing).</summary>
        List<string> Pending();

        /// <summary>An operation ended: <paramref name="outcome"/> null when it finished.</summary>
        void Ended(string opId, WaitOutcome outcome);

        /// <summary>Changes whenever the pending operations change.</summary>
        int Version();

        /// <summary>Whether a blocking inner call must stop: the pending operations changed since
        /// <paramref name="version"/>, or the source is closing.</summary>
        bool Changed(int version);

        /// <summary>A wait refused <paramref name="ids"/>: an invalid id is among them.</summary>
        void Invalid(List<string> ids, WaitOutcome refused);

        /// <summary>Sleeps up to <paramref name="ms"/> (less when the source changes or closes).</summary>
        void Pause(int ms);

        /// <summary>Called at least every 100 ms during a blocking inner call; may call the library.</summary>
        void Tick();

        /// <summary>When (<see cref="WaitRounds.Now"/>) the last blocking inner call began.</summary>
        long LastBlock { get; set; }
    }

    internal static class WaitRounds
    {
        /// <summary>The shortest time between two inner calls that block (each makes the watcher
        /// look at once).</summary>
        internal const int PaceMs = 100;

        /// <summary>The timeout of the inner calls that only collect what the watcher knows.</summary>
        private const uint CollectMs = 1;

        private const int StatusInvalidArgument = (int)WorkflowStatus.InvalidArgument;
        private const int StatusTimeout = (int)WorkflowStatus.Timeout;
        private const int StatusAborted = (int)WorkflowStatus.Aborted;

        private static readonly Stopwatch Clock = Stopwatch.StartNew();

        /// <summary>Milliseconds on a monotonic clock.</summary>
        internal static long Now { get { return Clock.ElapsedMilliseconds; } }

        /// <summary>One round: holds the pending operations with one outer wf_wait_all and collects
        /// their ends from its transfer callback. Throws what ends the waits themselves, never an
        /// operation's own failure (that goes to the source).</summary>
        internal static void Run(ClientHandle client, IWaitSource source)
        {
            long wait = source.LastBlock + PaceMs - Now;
            if (wait > 0) source.Pause((int)wait); // so that this round's first calls come with its outer call's
            var held = source.Pending();
            if (held.Count == 0) return;
            var heldSet = new HashSet<string>(held, StringComparer.Ordinal);
            bool entered = false;
            WaitOutcome outcome = null;
            int status = WithIds(held, ids => Call(client, () =>
            {
                entered = true;
                Collect(client, source, heldSet);
                return false; // the round is over: stop the outer call
            }, h => NativeMethods.wf_wait_all(h, ids, new UIntPtr((uint)ids.Length), 0), out outcome));
            if (entered) return;
            // Ended before its first transfer callback: refused, or every operation had ended
            // already (what another wait on this client still holds). Collect without it.
            if (status == StatusInvalidArgument) source.Invalid(held, outcome);
            else Collect(client, source, heldSet);
        }

        /// <summary>The inner calls of a round: collects ends until nothing is pending, the round
        /// must end (most pending operations joined after its outer call), or the waits
        /// themselves fail (thrown).</summary>
        private static void Collect(ClientHandle client, IWaitSource source, HashSet<string> held)
        {
            while (true)
            {
                var ids = source.Pending();
                if (ids.Count == 0) return;
                long wait = source.LastBlock + PaceMs - Now;
                if (wait > 0)
                {
                    source.Pause((int)wait);
                    continue;
                }
                // What the watcher knows already, without waiting.
                bool refused = false;
                while (ids.Count > 0)
                {
                    WaitOutcome outcome;
                    int index = WaitAny(client, ids, CollectMs, null, out outcome);
                    if (index < ids.Count)
                    {
                        source.Ended(ids[index], outcome);
                        ids = source.Pending();
                    }
                    else if (outcome != null && outcome.Status == StatusTimeout)
                    {
                        break;
                    }
                    else
                    {
                        Failed(source, ids, outcome);
                        refused = true;
                        break;
                    }
                }
                if (refused) continue;
                if (ids.Count == 0) return;
                int outside = ids.Count(i => !held.Contains(i));
                if (outside > 0 && outside >= Math.Max(8, ids.Count - outside))
                    return; // most pending operations joined after the outer call: a new round holds them
                // Block until one ends, the pending operations change, or the source closes.
                source.LastBlock = Now;
                int version = source.Version();
                bool stopped = false;
                WaitOutcome ended;
                int which = WaitAny(client, ids, 0, () =>
                {
                    if (source.Changed(version))
                    {
                        stopped = true;
                        return false;
                    }
                    source.Tick();
                    return true;
                }, out ended);
                if (which < ids.Count) source.Ended(ids[which], ended);
                else if (!(stopped && ended != null && ended.Status == StatusAborted)) Failed(source, ids, ended);
            }
        }

        /// <summary>An inner call ended for itself, not for an operation.</summary>
        private static void Failed(IWaitSource source, List<string> ids, WaitOutcome outcome)
        {
            if (outcome != null && outcome.Status == StatusInvalidArgument)
            {
                source.Invalid(ids, outcome);
                return;
            }
            if (outcome == null) throw new InternalErrorException("the wait for several operations ended without any of them");
            throw outcome.ToException(null);
        }

        /// <summary>One wf_wait_any: the index of the operation that ended (its outcome, null when
        /// it finished), or <c>ids.Count</c> when the wait itself ended (why in the outcome).
        /// <paramref name="onTick"/> (null: none) runs with each transfer callback; false stops the
        /// call. Throws what <paramref name="onTick"/> threw.</summary>
        internal static int WaitAny(ClientHandle client, List<string> ids, uint ms, Func<bool> onTick, out WaitOutcome outcome)
        {
            UIntPtr index = new UIntPtr((uint)ids.Count);
            WaitOutcome result = null;
            WithIds(ids, pointers => Call(client, onTick,
                h => NativeMethods.wf_wait_any(h, pointers, new UIntPtr((uint)pointers.Length), ms, out index), out result));
            outcome = result;
            return (int)Math.Min(index.ToUInt64(), (ulong)ids.Count);
        }

        /// <summary>Runs <paramref name="call"/> with the ids as NUL-terminated UTF-8 strings in
        /// unmanaged memory, freed when it returns.</summary>
        private static int WithIds(List<string> ids, Func<IntPtr[], int> call)
        {
            var pointers = new IntPtr[ids.Count];
            try
            {
                for (int i = 0; i < ids.Count; i++)
                {
                    var bytes = Native.Utf8(ids[i], "opId");
                    pointers[i] = Marshal.AllocHGlobal(bytes.Length);
                    Marshal.Copy(bytes, 0, pointers[i], bytes.Length);
                }
                return call(pointers);
            }
            finally
            {
                foreach (var p in pointers) if (p != IntPtr.Zero) Marshal.FreeHGlobal(p);
            }
        }

        /// <summary>Runs <paramref name="call"/> on <paramref name="client"/>, or (with
        /// <paramref name="onTick"/>) on a view of it whose transfer callback runs it; reads the
        /// outcome on this thread as the call returns, and rethrows what the callback threw.</summary>
        private static int Call(ClientHandle client, Func<bool> onTick, Func<ClientHandle, int> call, out WaitOutcome outcome)
        {
            if (onTick == null)
            {
                int direct = call(client);
                outcome = WaitOutcome.Last(direct);
                return direct;
            }
            ExceptionDispatchInfo failure = null;
            TransferCallback transfer = (user, info) =>
            {
                if (failure != null) return 1;
                try
                {
                    return onTick() ? 0 : 1;
                }
                catch (Exception e)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                    return 1;
                }
            };
            int status;
            using (var view = client.WithControls(null, 0, transfer)) // the view keeps transfer
            {
                status = call(view);
                outcome = WaitOutcome.Last(status);
            }
            if (failure != null) failure.Throw();
            return status;
        }
    }
}
