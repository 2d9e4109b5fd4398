#!/bin/sh
# The demo program.
echo "hello from the Helios demo"
