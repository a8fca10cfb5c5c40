// Typed forms of the server's JSON answers, parsed with what every target framework has
// (JsonReaderWriterFactory reads JSON as an XML infoset): no JSON package is needed.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Serialization.Json;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace OLConnect.Workflow
{
    /// <summary>An operation running on the server (one entry of getOperations).</summary>
    public sealed class OperationInfo
    {
        /// <summary>The operation id.</summary>
        public string Id { get; internal set; }

        /// <summary>The service running it, e.g. PrintRestService.</summary>
        public string Type { get; internal set; }

        /// <summary>What it is doing now, e.g. "Content Creation".</summary>
        public string SubTask { get; internal set; }

        /// <summary>When it started, when the server said.</summary>
        public DateTimeOffset? StartTime { get; internal set; }

        /// <summary>Its progress, 0 to 100.</summary>
        public int Progress { get; internal set; }

        /// <summary>The template in use, when the server said.</summary>
        public string Template { get; internal set; }
    }

    /// <summary>Where the managed output of an operation is: a File Store folder and its files.</summary>
    public sealed class ManagedResult
    {
        /// <summary>The File Store id (or name) of the folder; give it to DownloadManaged.</summary>
        public string Identifier { get; internal set; }

        /// <summary>The names of the output files in that folder.</summary>
        public IReadOnlyList<string> Files { get; internal set; }
    }

    internal static class ServerJson
    {
        private static XElement Parse(string json)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            using (var reader = JsonReaderWriterFactory.CreateJsonReader(bytes, XmlDictionaryReaderQuotas.Max))
                return XElement.Load(reader);
        }

        private static string Text(XElement parent, string name)
        {
            var e = parent.Element(name);
            return e == null ? null : e.Value;
        }

        internal static IReadOnlyList<OperationInfo> Operations(string json)
        {
            return Parse(json).Elements("item").Select(item =>
            {
                long start;
                int progress;
                return new OperationInfo
                {
                    Id = Text(item, "id"),
                    Type = Text(item, "type"),
                    SubTask = Text(item, "subTask"),
                    StartTime = long.TryParse(Text(item, "startTime"), out start) ? DateTimeOffset.FromUnixTimeMilliseconds(start) : (DateTimeOffset?)null,
                    Progress = int.TryParse(Text(item, "progress"), out progress) ? progress : 0,
                    Template = Text(item, "template"),
                };
            }).ToList();
        }

        internal static ManagedResult Managed(string json)
        {
            var root = Parse(json);
            var files = root.Element("files");
            return new ManagedResult
            {
                Identifier = Text(root, "identifier") ?? json.Trim(),
                Files = files == null ? new List<string>() : files.Elements("item").Select(f => f.Value).ToList(),
            };
        }
    }
}
