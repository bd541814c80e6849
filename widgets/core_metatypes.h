#pragma once
// The plain core structs that travel between the worker thread's Session and the views by queued
// signals. Call registerCoreMetatypes() once before the first queued connection.
#include "eval/eval_types.h"
#include "generate/generate_types.h"
#include "inspect/inspect_types.h"
#include "train/train_types.h"

#include <QMetaType>

Q_DECLARE_METATYPE(emo::train::TrainSettings)
Q_DECLARE_METATYPE(emo::train::TrainProgress)
Q_DECLARE_METATYPE(emo::train::TrainResult)
Q_DECLARE_METATYPE(emo::inspect::InspectReport)
Q_DECLARE_METATYPE(emo::inspect::CostMatrixReport)
Q_DECLARE_METATYPE(emo::generate::SampleSettings)
Q_DECLARE_METATYPE(emo::generate::ModelComparison)
Q_DECLARE_METATYPE(emo::inspect::TransportReport)
Q_DECLARE_METATYPE(emo::eval::EvalReport)

namespace emo::widgets {
void registerCoreMetatypes();
}
