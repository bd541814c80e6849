#pragma once
// torch before Qt: Qt's keyword macros are off in tests (QT_NO_KEYWORDS), torch's headers compile either way.
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <QtTest/QtTest>
#include <QTemporaryDir>
#include <QProcess>
