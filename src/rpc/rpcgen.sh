#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs rpcgen on an .x file, producing the header and the XDR routines. rpcgen names the header in
# its #include exactly as it was given the input, so it runs in the output folder on a copy of the
# input; the generated C then includes the header by its bare name.
# Usage: rpcgen.sh RPCGEN INPUT.x OUTPUT.h OUTPUT_xdr.c
set -eu
rpcgen=$1
input=$2
header=$3
source=$4

outdir=$(dirname "$header")
base=$(basename "$input" .x)
work=$(mktemp -d "$outdir/.rpcgen.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$input" "$work/$base.x"
(
    cd "$work"
    "$rpcgen" -h -o "$base.h" "$base.x"
    "$rpcgen" -c -o "${base}_xdr.c" "$base.x"
)
mv "$work/$base.h" "$header"
mv "$work/${base}_xdr.c" "$source"
