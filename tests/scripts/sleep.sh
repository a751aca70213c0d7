#!/bin/sh
# Print "tick" once a second for $1 seconds (default 30).
n=${1:-30}
i=0
while [ "$i" -lt "$n" ]; do
    echo "tick"
    sleep 1
    i=$((i + 1))
done
