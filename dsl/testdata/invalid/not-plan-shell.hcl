#!/bin/sh
set -eu
perfplan run plans/*.hcl
