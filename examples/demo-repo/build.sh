#!/bin/sh
# A stand-in build: checks the sources and "compiles" for the profile given.
set -e
profile="${1:-debug}"
test -x src/hello.sh
echo "building hello ($profile)"
./src/hello.sh
