#!/bin/sh
# Print our pid (also the process group id when started in a new session), then wait.
echo "pid=$$"
sleep 300
