#pragma once
#include "report/plot_types.h"

#include <string>

namespace emo::report {

// True when this build can draw plots (cairo was found at configure time).
bool canWritePlots();

// Draws `plot` into <pathStem>.png and <pathStem>.svg (each written to a temporary file, then renamed).
// Throws emo::Error(BadInput) for a malformed plot (bars without exactly one series, sizes that differ) and
// emo::Error(Runtime) naming the file when it cannot be written or when the build has no cairo.
void writePlot(const Plot& plot, const std::string& pathStem);

} // namespace emo::report
