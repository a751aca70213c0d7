#!/bin/sh
echo "::error::disk full"
echo "::feedback::disk full on /data"
echo "::result::2"
exit 0
