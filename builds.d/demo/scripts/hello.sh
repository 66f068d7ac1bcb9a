#!/bin/bash
set -e
echo "${GREETING} from zadig-sync"
