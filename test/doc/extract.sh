#!/bin/sh
# Write the SQL examples of a Markdown file, in order, as one SQL script:
# every fenced block opened by a line that is exactly ```sql (output
# samples and shell commands use other fences).  Each block is preceded by
# a comment naming it (its number in the file and the heading it is
# under), so that a difference in the doc test points back into the
# document, and editing prose moves nothing in the expected output.
#   test/doc/extract.sh FILE.md > OUT.sql
set -eu
awk -v file="$1" '
    /^#+ / && !inblock { heading = $0; sub(/^#+ /, "", heading) }
    /^```sql[ \t]*$/ { inblock = 1; n++; print "-- " file ", block " n " (" heading ")"; next }
    inblock && /^```[ \t]*$/ { inblock = 0; print ""; next }
    inblock { print }
    END { if (inblock) { print file ": unterminated ```sql block" > "/dev/stderr"; exit 1 } }
' "$1"
