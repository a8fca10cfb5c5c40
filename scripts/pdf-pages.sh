#!/usr/bin/env bash
# Usage: scripts/pdf-pages.sh FILE.pdf — says where a PDF is and how many pages it has (make demo).
# pdfinfo (poppler-utils) reads it when installed, which also shows that a real PDF reader opens
# it; otherwise the page count is read from the document's page tree.
set -euo pipefail
file=$1
if command -v pdfinfo >/dev/null; then
  pages=$(pdfinfo "$file" | awk '/^Pages:/ {print $2}')
  how="pdfinfo"
else
  pages=$(head -c 1048576 "$file" | grep -a -o '/Type /Pages /Kids \[[^]]*\] /Count [0-9]*' | head -n 1 | sed 's/.*\/Count //')
  how="its page tree; install poppler-utils to open it with pdfinfo"
fi
[ -n "$pages" ] || { echo "$file is not a readable PDF" >&2; exit 1; }
echo "The result is $(realpath "$file"): a PDF of $pages page(s), $(stat -c %s "$file") bytes (read by $how)."
