// The log handler of one native client and of every view of it (they share one log in the
// library). Why this shape: the library may call the log function it was given after
// wf_client_set_log has returned (a call on another thread that had already picked it up), so
// a delegate handed to it must outlive every such call. Here the library is only ever given
// one delegate, which lives as long as the process, with a user_data that is a weak GCHandle
// of the sink; replacing the handler changes a field of the sink and hands nothing new to the
// library. The GCHandle is freed when the client and all its views have been freed
// (ClientHandle.ReleaseHandle), when no call that could log can run any more.
using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace OLConnect.Workflow
{
    internal sealed class LogSink
    {
        /// <summary>The only log function the library is given, for every client: a static
        /// field, so it is never collected.</summary>
        internal static readonly LogCallback Callback = Deliver;

        private readonly GCHandle self;
        private Action<WorkflowLogLevel, string> handler;

        /// <summary>The ClientHandles that share this sink (a client and its views) and are not
        /// released yet.</summary>
        private int handles = 1;

        /// <summary>A sink for a new client, held by one handle.</summary>
        internal LogSink()
        {
            // Weak: a handler that refers to its client must not keep it from being finalized.
            // While a handle holds the sink, the sink is reachable, so the target stays set.
            self = GCHandle.Alloc(this, GCHandleType.Weak);
        }

        /// <summary>The user_data to give the library with <see cref="Callback"/>.</summary>
        internal IntPtr UserData { get { return GCHandle.ToIntPtr(self); } }

        /// <summary>Where lines go now; null drops them.</summary>
        internal Action<WorkflowLogLevel, string> Handler
        {
            get { return Volatile.Read(ref handler); }
            set { Volatile.Write(ref handler, value); }
        }

        /// <summary>One more handle shares the sink (a view). Only called while a handle that
        /// holds the sink cannot be released, so the count never comes back from 0.</summary>
        internal LogSink Join()
        {
            Interlocked.Increment(ref handles);
            return this;
        }

        /// <summary>A handle sharing the sink has freed its native client; after the last one,
        /// the library can no longer call <see cref="Callback"/> with <see cref="UserData"/>.</summary>
        internal void Leave()
        {
            if (Interlocked.Decrement(ref handles) == 0) self.Free();
        }

        /// <summary>Per thread: inside the dispatcher's own calls (see <see cref="WaitDispatcher"/>),
        /// whose failures are by design (a collecting wait's 1 ms timeout, a wait stopped to change
        /// its set) or handed to the caller as the exception of its wait.</summary>
        [ThreadStatic] private static int quietDepth;

        /// <summary>Per thread: the token of the asynchronous call running on it.</summary>
        [ThreadStatic] private static CancellationToken callToken;

        /// <summary>Marks this thread's calls as the dispatcher's own until <see cref="LeaveQuiet"/>.</summary>
        internal static void EnterQuiet() { quietDepth++; }

        /// <summary>Ends what <see cref="EnterQuiet"/> began.</summary>
        internal static void LeaveQuiet() { quietDepth--; }

        /// <summary>Makes <paramref name="token"/> the token of the call this thread runs now;
        /// returns the one it replaces (to put back when the call returns).</summary>
        internal static CancellationToken SwapCallToken(CancellationToken token)
        {
            var previous = callToken;
            callToken = token;
            return previous;
        }

        /// <summary>A failed call's Error line is Debug when the failure is no news to the caller:
        /// the caller cancelled the call itself, or the dispatcher's call ended by design.</summary>
        internal static WorkflowLogLevel LevelOf(int level)
        {
            if (level == (int)WorkflowLogLevel.Error && (quietDepth > 0 || callToken.IsCancellationRequested))
                return WorkflowLogLevel.Debug;
            return (WorkflowLogLevel)level;
        }

        private static void Deliver(IntPtr user, int level, IntPtr message)
        {
            try
            {
                var sink = GCHandle.FromIntPtr(user).Target as LogSink;
                var target = sink == null ? null : sink.Handler;
                if (target != null) target(LevelOf(level), Native.FromUtf8(message));
            }
            catch (Exception) { } // a log handler must never disturb the call it reports on
        }
    }
}
