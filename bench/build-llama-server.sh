#!/usr/bin/env bash
# Builds llama.cpp's llama-server (the LLM peer of bench/llm.sh) and llama-bench (bench/llm-loop.sh's) from the
# source that ships inside the npm package node-llama-cpp@3.22.1, into ~/.cache/sluice/peers (outside the
# repository). ~17 minutes on 2 cores.
set -euo pipefail
PEERS=${SLUICE_PEERS:-$HOME/.cache/sluice/peers/3.22.1}
mkdir -p "$PEERS" && cd "$PEERS"
[ -f node-llama-cpp-3.22.1.tgz ] || npm pack node-llama-cpp@3.22.1 --silent
[ -f package/llama/gitRelease.bundle ] || tar xzf node-llama-cpp-3.22.1.tgz package/llama/gitRelease.bundle
[ -d llama.cpp ] || git clone -q package/llama/gitRelease.bundle llama.cpp
cd llama.cpp
# Native code, but no AMX: where the kernel does not grant AMX tile state (sandboxes, some VMs) the Q8_0
# AMX kernel dies with SIGILL on `tilezero`.
no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
cmake -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DCMAKE_C_FLAGS="$no_amx" -DCMAKE_CXX_FLAGS="$no_amx"
cmake --build build --target llama-server llama-bench -j "$(nproc)"   # llama-bench: bench/llm-loop.sh
echo "$PEERS/llama.cpp/build/bin/llama-server"
