#include "core_metatypes.h"
#include "eval_protocol.h"
#include "model_card.h"

namespace emo::widgets {

void registerCoreMetatypes()
{
    qRegisterMetaType<emo::train::TrainSettings>();
    qRegisterMetaType<emo::train::TrainProgress>();
    qRegisterMetaType<emo::train::TrainResult>();
    qRegisterMetaType<emo::inspect::InspectReport>();
    qRegisterMetaType<emo::inspect::CostMatrixReport>();
    qRegisterMetaType<emo::generate::SampleSettings>();
    qRegisterMetaType<emo::generate::ModelComparison>();
    qRegisterMetaType<emo::inspect::TransportReport>();
    qRegisterMetaType<emo::widgets::ModelCard>();
    qRegisterMetaType<emo::widgets::DatasetPreview>();
    qRegisterMetaType<emo::eval::EvalReport>();
    qRegisterMetaType<emo::widgets::EvalProtocol>();
}

} // namespace emo::widgets
