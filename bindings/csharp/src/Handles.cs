// Layer 2: one SafeHandle per native object; ReleaseHandle calls the matching _free, from the
// finalizer thread if nobody disposed it (the library allows freeing from any thread).
using System;
using System.Runtime.InteropServices;

namespace OLConnect.Workflow
{
    internal sealed class ClientHandle : SafeHandle
    {
        public ClientHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.wf_client_free(handle);
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
        public DataHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            NativeMethods.wf_data_free(handle);
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
