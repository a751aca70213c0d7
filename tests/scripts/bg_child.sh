#!/bin/sh
# Leave a grandchild that inherits stdout, so the pipe stays open after we exit.
sleep 300 &
echo "parent done"
exit 0
