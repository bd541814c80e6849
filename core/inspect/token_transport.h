#pragma once
#include "inspect/inspect_types.h"

namespace emo::inspect {

class Inspector;

// The transport at one token of an inspected text: the model's q over its top-k candidates (with the gold
// token added when it is not among them), renormalised over that support, against the data's one-hot gold
// token; the exact optimal plan (transport/exact_emd.h) and the paper's DEMD (transport/demd.h) on the cost
// matrix of the support. Throws emo::Error(BadInput) when `tokenIndex` is not a token of `report`.
TransportReport transportAtToken(const Inspector& inspector, const InspectReport& report, int64_t tokenIndex);

} // namespace emo::inspect
