#pragma once
// The device dimension of a test (llama.cpp style: the same op on two backends). A data-driven test adds a
// "device" column with both rows and opens its body with EMO_REQUIRE_DEVICE(device): on a machine without
// CUDA the cuda rows report "skipped: no CUDA device" instead of passing silently.
#include <QString>
#include <QtTest>

namespace emo::test {

bool deviceAvailable(const QString& device);  // "cpu" always; "cuda…" when LibTorch sees a CUDA device
QStringList testDevices();                    // {"cpu", "cuda"}

} // namespace emo::test

#define EMO_REQUIRE_DEVICE(device)                                                                                \
    do {                                                                                                          \
        if (!emo::test::deviceAvailable(device))                                                                  \
            QSKIP("skipped: no CUDA device");                                                                     \
    } while (0)
