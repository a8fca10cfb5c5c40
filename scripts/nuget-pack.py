#!/usr/bin/env python3
"""Writes OLConnect.Workflow.VERSION.nupkg without NuGet's tools (make dist; docs/platforms.md).

A .nupkg is a zip in the Open Packaging Conventions: the .nuspec at its root, the assembly under
lib/TFM/, each native library under runtimes/RID/native/ (where .NET looks for it on that
platform), plus [Content_Types].xml, _rels/.rels and the core properties part.

    nuget-pack.py --version V --assembly DLL --docs XML --readme MD --out DIR RID=PATH=NAME...
"""
import argparse
import hashlib
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

ID = "OLConnect.Workflow"
# Compiled by Mono's mcs against its 4.5 profile: a .NET Framework 4.5 assembly, which .NET 6+ and
# Mono load as well (the csproj's `dotnet pack` adds netstandard2.0 and net8.0 builds where the
# .NET SDK is available).
TFM = "net45"
DESCRIPTION = (
    "Drive the All-In-One service of an OL Connect Server: submit, wait, fetch results "
    "(P/Invoke over the olconnect-wf C library, native libraries for win-x64, linux-x64, "
    "linux-musl-x64 and linux-arm64 included)."
)


def nuspec(version: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>{ID}</id>
    <version>{escape(version)}</version>
    <authors>olconnect-wf</authors>
    <description>{escape(DESCRIPTION)}</description>
    <license type="expression">MIT OR Apache-2.0</license>
    <readme>README.md</readme>
    <requireLicenseAcceptance>false</requireLicenseAcceptance>
    <tags>olconnect print workflow rest</tags>
    <dependencies>
      <group targetFramework=".NETFramework4.5" />
    </dependencies>
  </metadata>
</package>
"""


CONTENT_TYPES = """<?xml version="1.0" encoding="utf-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />
  <Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />
  <Default Extension="nuspec" ContentType="application/octet" />
  <Default Extension="dll" ContentType="application/octet" />
  <Default Extension="so" ContentType="application/octet" />
  <Default Extension="xml" ContentType="application/octet" />
  <Default Extension="md" ContentType="application/octet" />
</Types>
"""


def rels(psmdcp: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/{ID}.nuspec" Id="R1" />
  <Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="/{psmdcp}" Id="R2" />
</Relationships>
"""


def core_properties(version: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">
  <dc:creator>olconnect-wf</dc:creator>
  <dc:description>{escape(DESCRIPTION)}</dc:description>
  <dc:identifier>{ID}</dc:identifier>
  <version>{escape(version)}</version>
  <keywords>olconnect print workflow rest</keywords>
  <lastModifiedBy>scripts/nuget-pack.py</lastModifiedBy>
</coreProperties>
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", required=True)
    ap.add_argument("--assembly", required=True, type=Path)
    ap.add_argument("--docs", required=True, type=Path)
    ap.add_argument("--readme", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("natives", nargs="+", help="RID=PATH=FILE-NAME")
    args = ap.parse_args()
    out = args.out / f"{ID}.{args.version}.nupkg"
    psmdcp = f"package/services/metadata/core-properties/{hashlib.sha1(args.version.encode()).hexdigest()}.psmdcp"
    # Fixed timestamps: the same inputs give the same package.
    def add(z: zipfile.ZipFile, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, data)

    with zipfile.ZipFile(out, "w") as z:
        add(z, "_rels/.rels", rels(psmdcp).encode())
        add(z, f"{ID}.nuspec", nuspec(args.version).encode())
        add(z, f"lib/{TFM}/{ID}.dll", args.assembly.read_bytes())
        add(z, f"lib/{TFM}/{ID}.xml", args.docs.read_bytes())
        add(z, "README.md", args.readme.read_bytes())
        for spec in args.natives:
            rid, path, name = spec.split("=", 2)
            add(z, f"runtimes/{rid}/native/{name}", Path(path).read_bytes())
        add(z, psmdcp, core_properties(args.version).encode())
        add(z, "[Content_Types].xml", CONTENT_TYPES.encode())
    print(f"dist: {out}")


if __name__ == "__main__":
    main()
