#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds a small C program against it twice,
# through pkg-config (sciml.pc) and through CMake's find_package(sciml); the program loads
# data/oscillator.nc, trains a tiny MLP in-process and predicts, as a simulation would.
set -euo pipefail
: "${SCIML_BIN:?}" "${SCIML_SOURCE_DIR:?}" "${SCIML_DATA:?}"
build=$(cd "$SCIML_BIN/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v pkg-config >/dev/null || { echo "pkg-config missing"; exit 77; }
if [ "${SCIML_SANITIZED:-0}" = 1 ]; then
    echo "sanitizer build: an uninstrumented consumer cannot link it; skipped"
    exit 77
fi
cmake --install "$build" --prefix "$work/prefix" >/dev/null

cat >"$work/consumer.c" <<'C'
#include <stdio.h>
#include <sciml/dataset.h>
#include <sciml/mlp_model.h>

int main(int argc, char **argv) {
    sciml_ctx *ctx = NULL;
    sciml_array x, y;
    if (argc != 2 || sciml_ctx_create(&ctx))
        return 2;
    if (sciml_dataset_read(ctx, argv[1], NULL, NULL, &x, &y)) {
        fprintf(stderr, "%s\n", sciml_ctx_message(ctx));
        return 1;
    }
    sciml_mlp_model_config config = {.input_count = x.feature_count,
                                     .output_count = y.feature_count,
                                     .hidden_count = 1, .hidden = {16},
                                     .activation = SCIML_ACT_TANH};
    sciml_mlp_model *model = NULL;
    sciml_train_options options;
    sciml_train_options_default(&options);
    options.epochs = 3;
    double prediction[30 * 1];
    int ok = sciml_mlp_model_create(ctx, &config, 1, &model) == SCIML_OK &&
             sciml_mlp_model_train(model, x.values, y.values, x.sample_count, NULL, NULL, 0,
                                   &options) == SCIML_OK &&
             y.feature_count <= 30 &&
             sciml_mlp_model_predict(model, x.values, 1, prediction) == SCIML_OK;
    printf("libsciml %s: %lld samples, %lld -> %lld, %s\n", sciml_version(),
           (long long)x.sample_count, (long long)x.feature_count, (long long)y.feature_count,
           ok ? "trained" : sciml_ctx_message(ctx));
    sciml_mlp_model_destroy(&model);
    sciml_array_free(&x);
    sciml_array_free(&y);
    sciml_ctx_destroy(&ctx);
    return ok ? 0 : 1;
}
C

pc=$(find "$work/prefix" -name sciml.pc | head -1)
[ -n "$pc" ] || { echo "FAIL: no sciml.pc installed"; exit 1; }
export PKG_CONFIG_PATH="$(dirname "$pc")"
# shellcheck disable=SC2046
cc -std=c11 -o "$work/consumer-pc" "$work/consumer.c" $(pkg-config --static --cflags --libs sciml)
out=$("$work/consumer-pc" "$SCIML_DATA/oscillator.nc")
echo "pkg-config: $out"
case $out in *"100 samples, 5 -> 30, trained"*) ;; *) echo "FAIL: unexpected output"; exit 1 ;; esac

mkdir -p "$work/cmake"
cp "$work/consumer.c" "$work/cmake/"
cat >"$work/cmake/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(consumer C)
find_package(sciml REQUIRED)
add_executable(consumer consumer.c)
target_link_libraries(consumer PRIVATE sciml::sciml)
CMAKE
cmake -S "$work/cmake" -B "$work/cmake/build" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake/build" >/dev/null
out=$("$work/cmake/build/consumer" "$SCIML_DATA/oscillator.nc")
echo "find_package: $out"
case $out in *"trained"*) ;; *) echo "FAIL: unexpected output"; exit 1 ;; esac
