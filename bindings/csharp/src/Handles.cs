// Layer 2: one SafeHandle per native object; ReleaseHandle calls the matching _free, from the
// finalizer thread if nobody disposed it (the library allows freeing from any thread). A handle
// also keeps what the library may call back or read through it (delegates, pinned bytes) until
// ReleaseHandle has freed the native object: see NativeMethods.cs for the rule.
using System;
using System.Runtime.InteropServices;

namespace OLConnect.Workflow
{
    internal sealed class ClientHandle : SafeHandle
    {
        // What the library may call back through this native client, kept until ReleaseHandle,
        // after wf_client_free, when no call on it can run any more (a call in flight holds a
        // reference on the SafeHandle, so ReleaseHandle waits for it).
        private LogSink logSink;
        private TransferCallback onTransfer;

        public ClientHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>The log of this client and its views (null once released).</summary>
        internal LogSink LogSink { get { return logSink; } }

        /// <summary>A new native client of <paramref name="baseUrl"/> with its log sink;
        /// <paramref name="paramName"/> names the caller's parameter that gave the URL.</summary>
        internal static ClientHandle Create(byte[] baseUrl, string paramName)
        {
            var sink = new LogSink();
            ClientHandle created;
            int status;
            try
            {
                status = NativeMethods.wf_client_new(baseUrl, out created);
            }
            catch
            {
                sink.Leave();
                throw;
            }
            if (status != 0)
            {
                sink.Leave();
                Native.Check(status, paramName);
            }
            created.logSink = sink;
            return created;
        }

        /// <summary>A view of this client whose calls obey <paramref name="abort"/> (null: none) and report
        /// transfers to <paramref name="transfer"/>; the view keeps the callback and shares this
        /// client's log sink. Throws ObjectDisposedException once this handle is closed.</summary>
        internal ClientHandle WithControls(AbortHandle abort, uint timeoutMs, TransferCallback transfer)
        {
            bool added = false;
            try
            {
                // Held until the view has joined the sink, so that the sink cannot be released
                // in between by another thread disposing of this client.
                DangerousAddRef(ref added);
                ClientHandle view;
                Native.Check(abort != null
                    ? NativeMethods.wf_client_with_controls(this, abort, timeoutMs, transfer, IntPtr.Zero, out view)
                    : NativeMethods.wf_client_with_controls_no_abort(this, IntPtr.Zero, timeoutMs, transfer, IntPtr.Zero, out view));
                view.onTransfer = transfer;
                view.logSink = logSink.Join();
                return view;
            }
            finally
            {
                if (added) DangerousRelease();
            }
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.wf_client_free(handle);
            // No call on this client can run from here on: what it called back may go.
            GC.KeepAlive(onTransfer);
            onTransfer = null;
            var sink = logSink;
            logSink = null;
            if (sink != null) sink.Leave();
            return true;
        }
    }

    internal sealed class AbortHandle : SafeHandle
    {
        public AbortHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>A new, untriggered switch.</summary>
        internal static AbortHandle Create()
        {
            AbortHandle created;
            Native.Check(NativeMethods.wf_abort_new(out created));
            return created;
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.wf_abort_free(handle);
            return true;
        }
    }

    internal sealed class DataHandle : SafeHandle
    {
        // What the library reads through this handle (the caller's pinned bytes, a read
        // callback), kept until ReleaseHandle, after wf_data_free.
        private GCHandle pinned;
        private ReadCallback reader;

        public DataHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>Data read from these bytes, pinned (not copied) until the handle is released.</summary>
        internal static DataHandle FromBuffer(byte[] data)
        {
            var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
            DataHandle created;
            int status;
            try
            {
                status = NativeMethods.wf_data_from_buffer(pin.AddrOfPinnedObject(), new UIntPtr((uint)data.Length), out created);
            }
            catch
            {
                pin.Free();
                throw;
            }
            if (status != 0)
            {
                pin.Free();
                Native.Check(status);
            }
            created.pinned = pin;
            return created;
        }

        /// <summary>Data read through <paramref name="read"/>, kept until the handle is released.</summary>
        internal static DataHandle FromReader(ReadCallback read, long length)
        {
            DataHandle created;
            int status = NativeMethods.wf_data_from_reader(read, IntPtr.Zero, length, out created);
            GC.KeepAlive(read); // on failure the library holds nothing
            Native.Check(status);
            created.reader = read;
            return created;
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.wf_data_free(handle);
            GC.KeepAlive(reader);
            reader = null;
            if (pinned.IsAllocated) pinned.Free();
            return true;
        }
    }

    internal sealed class ResultHandle : SafeHandle
    {
        public ResultHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.wf_result_free(handle);
            return true;
        }
    }
}
