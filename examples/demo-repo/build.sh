#!/bin/sh
# A stand-in build: checks the sources and "compiles" for the profile given into the output file.
set -e
profile="${1:-debug}"
output="${2:-out/hello.txt}"
test -x src/hello.sh
echo "building hello ($profile)"
mkdir -p "$(dirname "$output")"
./src/hello.sh > "$output"
cat "$output"
