// Local data for uploads and ad-hoc jobs: a file path, a byte array (pinned, not copied) or a
// Stream (read through a callback; an exception it throws comes out of the call).
using System;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;

namespace OLConnect.Workflow
{
    /// <summary>What an upload is (the C wf_resource_kind); by default it comes from the file name.</summary>
    public enum ResourceKind
    {
        /// <summary>A data file (any name without one of the extensions below).</summary>
        DataFile = 1,
        /// <summary>A data mapping configuration (.OL-datamapper).</summary>
        DataMapping = 2,
        /// <summary>A template (.OL-template).</summary>
        Template = 3,
        /// <summary>A job creation preset (.OL-jobpreset).</summary>
        JobPreset = 4,
        /// <summary>An output creation preset (.OL-outputpreset).</summary>
        OutputPreset = 5,
    }

    /// <summary>An ad-hoc All-In-One job: the resources by File Store id or name, and its options.</summary>
    public sealed class AdhocJob
    {
        /// <summary>The data mapping configuration (required).</summary>
        public string DataMapping { get; set; }
        /// <summary>The template (required).</summary>
        public string Template { get; set; }
        /// <summary>The job creation preset; null for none.</summary>
        public string JobPreset { get; set; }
        /// <summary>The output creation preset (required).</summary>
        public string OutputPreset { get; set; }
        /// <summary>Create the output on the server only.</summary>
        public bool CreateOnly { get; set; }
        /// <summary>Synchronous runs: the result as text (the spool file paths).</summary>
        public bool ResultAsText { get; set; }
        /// <summary>Print only this range of records, e.g. "1-5,8".</summary>
        public string PrintRange { get; set; }
        /// <summary>The name to give the data file on the server.</summary>
        public string Filename { get; set; }

        /// <summary>The C struct, its strings in unmanaged memory freed by <see cref="Free"/>.</summary>
        internal NativeAdhocJob ToNative()
        {
            return new NativeAdhocJob
            {
                DataMapping = Utf8Pointer(DataMapping, "DataMapping", false),
                TemplateName = Utf8Pointer(Template, "Template", false),
                JobPreset = Utf8Pointer(JobPreset, "JobPreset", true),
                OutputPreset = Utf8Pointer(OutputPreset, "OutputPreset", false),
                CreateOnly = CreateOnly,
                ResultAsText = ResultAsText,
                PrintRange = Utf8Pointer(PrintRange, "PrintRange", true),
                Filename = Utf8Pointer(Filename, "Filename", true),
            };
        }

        internal static void Free(NativeAdhocJob job)
        {
            foreach (var p in new[] { job.DataMapping, job.TemplateName, job.JobPreset, job.OutputPreset, job.PrintRange, job.Filename })
                if (p != IntPtr.Zero) Marshal.FreeHGlobal(p);
        }

        private static IntPtr Utf8Pointer(string value, string name, bool optional)
        {
            var bytes = Native.Utf8(value, name, optional);
            if (bytes == null) return IntPtr.Zero;
            var p = Marshal.AllocHGlobal(bytes.Length);
            Marshal.Copy(bytes, 0, p, bytes.Length);
            return p;
        }
    }

    /// <summary>A wf_data for one call; its handle keeps the pinned bytes or the read callback.</summary>
    internal sealed class NativeData : IDisposable
    {
        internal readonly DataHandle Handle;
        private ExceptionDispatchInfo failure;

        /// <summary>The name of the caller's parameter that gave the data (for ParamName).</summary>
        internal readonly string ParamName;

        internal NativeData(string path, string paramName)
        {
            ParamName = paramName;
            Native.Check(NativeMethods.wf_data_from_file(Native.Utf8(path, paramName), out Handle), paramName);
        }

        internal NativeData(byte[] data, string paramName)
        {
            ParamName = paramName;
            if (data == null) throw new ArgumentNullException(paramName);
            Handle = DataHandle.FromBuffer(data);
        }

        internal NativeData(Stream stream, string paramName)
        {
            ParamName = paramName;
            if (stream == null) throw new ArgumentNullException(paramName);
            long length = -1;
            try { if (stream.CanSeek) length = stream.Length - stream.Position; } catch (NotSupportedException) { }
            var buffer = new byte[0];
            Handle = DataHandle.FromReader((user, target, capacity) =>
            {
                try
                {
                    int want = (int)Math.Min(capacity.ToUInt64(), 1 << 20);
                    if (buffer.Length < want) buffer = new byte[want];
                    int n = stream.Read(buffer, 0, want);
                    Marshal.Copy(buffer, 0, target, n);
                    return n;
                }
                catch (Exception e)
                {
                    failure = ExceptionDispatchInfo.Capture(e);
                    return -1;
                }
            }, length);
        }

        /// <summary>Rethrows what the Stream threw, else checks the status (<paramref name="parameters"/>
        /// as for Native.Check; a refusal none of them matches names the data's own parameter).</summary>
        internal void Check(int status, params string[] parameters)
        {
            if (failure != null) failure.Throw();
            // "the data of the upload is empty" names the data; then the call's own; else the data.
            var names = new string[parameters.Length + 2];
            names[0] = ParamName + "=data of";
            parameters.CopyTo(names, 1);
            names[parameters.Length + 1] = ParamName;
            Native.Check(status, names);
        }

        public void Dispose()
        {
            Handle.Dispose();
        }
    }
}
