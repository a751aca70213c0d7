#!/bin/sh
echo "::progress::10"
echo "::progress::50"
echo "::progress::100"
