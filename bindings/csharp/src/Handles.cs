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
